package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway"
)

func TestPaymentsAgainstInProcessNetwork(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-count", "3", "-interval", "10ms"}, &out, &errOut))
	s := out.String()
	assert.Contains(t, errOut.String(), "in-process network")
	assert.Contains(t, s, "payment 1: 1 tickets")
	assert.Equal(t, 3, strings.Count(s, "payment "), s)
}

func TestPaymentsUnreachableSigner(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-signer", "http://127.0.0.1:1"}, &out, &out)
	require.ErrorIs(t, err, livepeer.ErrSignerUnavailable)
	assert.NotContains(t, err.Error(), "\n", "one-line error")
}
