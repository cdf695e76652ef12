package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBYOCTextReversalInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"-text", "livepeer"}, &out, &errOut))
	require.Equal(t, "reepevil\n", out.String())
	require.Error(t, run(ctx, []string{"-capability", "a/b"}, &out, &errOut), "not a BYOC capability")
}
