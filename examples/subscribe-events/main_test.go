package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not in PATH")
	}
}

// events parses out's lines as JSON objects.
func events(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), "line %q", line)
		evs = append(evs, ev)
	}
	return evs
}

func TestSubscribeEventsUntilStreamEnds(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"-duration", "2s", "-update", `{"prompt":"a cat"}`}, &out, io.Discard))
	evs := events(t, out.String())
	require.Len(t, evs, 2, out.String())
	assert.Equal(t, "status", evs[0]["type"])
	assert.Equal(t, "running", evs[0]["state"])
	assert.Equal(t, "params_update", evs[1]["type"])
	assert.Equal(t, map[string]any{"prompt": "a cat"}, evs[1]["params"])
}

func TestSubscribeEventsStopsAfterN(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	require.NoError(t, run(ctx, []string{"-count", "1", "-duration", "20s"}, &out, io.Discard))
	evs := events(t, out.String())
	require.Len(t, evs, 1)
	assert.Equal(t, "status", evs[0]["type"])
	assert.Less(t, time.Since(start), 15*time.Second, "-count 1 stops before the 20 s input ends")
}

func TestSubscribeEventsBadUpdate(t *testing.T) {
	err := run(context.Background(), []string{"-update", "nope"}, &bytes.Buffer{}, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-update must be a JSON object")
}
