package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteControlInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"-count", "3", "-interval", "300ms", "-keepalive", "250ms", "-msg", `{"prompt":"a cat"}`}, &out, &errOut))
	s := out.String()
	assert.Contains(t, errOut.String(), "in-process network")
	for _, want := range []string{
		`sending 1/3: {"n":1,"prompt":"a cat"}`,
		`sending 2/3: {"n":2,"prompt":"a cat"}`,
		`sending 3/3: {"n":3,"prompt":"a cat"}`,
		`control channel seq 0: `,
		`{"keep":"alive"}`,
	} {
		assert.Contains(t, s, want)
	}
	// Every message sent came back over the control channel.
	assert.Equal(t, 3, strings.Count(s, `: {"n":`)-3, s)
}

func TestWriteControlBadMsg(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-msg", "[1]"}, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-msg must be a JSON object")
}

func TestWriteControlHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-h"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "Usage: write-control")
	assert.Contains(t, errOut.String(), "in-process Livepeer network")
	assert.Empty(t, out.String())
}
