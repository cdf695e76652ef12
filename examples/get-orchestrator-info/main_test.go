package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway"
)

// With no source it queries the in-process network: one line per
// orchestrator with address, capabilities and prices.
func TestInProcessNetworkOneLinePerOrchestrator(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "in-process network")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 3, out.String())
	for _, l := range lines {
		assert.Regexp(t, `^https://127\.0\.0\.1:\d+ `, l)
		assert.Contains(t, l, "live-video-to-video/streamdiffusion")
		assert.Contains(t, l, "prices=")
	}
}

func TestCapsFilterAndBadCaps(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--capability", "live-video-to-video/noop,byoc/text-reversal"}, &out, io.Discard))
	assert.Contains(t, out.String(), "live-video-to-video/noop")
	require.Error(t, run(context.Background(), []string{"--capability", "no-such-pipeline/x"}, &out, io.Discard))
}

func TestUnreachableSignerIsOneLineError(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--signer", "http://127.0.0.1:1"}, &out, io.Discard)
	require.ErrorIs(t, err, livepeer.ErrSignerUnavailable)
	assert.NotContains(t, err.Error(), "\n")
}
