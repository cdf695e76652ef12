package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLLMStreamsTokensAndUsage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-prompt", "hi"}, &stdout, &stderr), stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2, stdout.String())
	require.Equal(t, "Hello from the livepeertest toy model. You said: hi", lines[0])
	require.True(t, strings.HasPrefix(lines[1], "usage: "), lines[1])
	require.Contains(t, lines[1], "usage: 1 prompt + 9 completion = 10 tokens")
	require.Contains(t, lines[1], "finish_reason stop; paid 256 units (1280000000000 wei)")

	// -max-tokens is what is paid for, and cuts the answer.
	stdout.Reset()
	require.NoError(t, run(ctx, []string{"-prompt", "hi", "-max-tokens", "3"}, &stdout, &stderr))
	require.True(t, strings.HasPrefix(stdout.String(), "Hello from the \nusage: "), stdout.String())
	require.Contains(t, stdout.String(), "paid 3 units (15000000000 wei)")
	require.Error(t, run(ctx, []string{"-max-tokens", "0"}, &stdout, &stderr))
}
