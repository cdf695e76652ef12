package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skip(b + " not in PATH")
		}
	}
}

func TestBYOCWriteFramesInProcess(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-o", out, "-duration", "2s"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "in-process network")
	assert.Contains(t, stdout.String(), "wrote")
	info, err := media.FFprobe(ctx, out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	assert.Equal(t, "h264", info.Video().CodecName)
	assert.GreaterOrEqual(t, info.Video().Frames, 57) // 60 sent, within 5 %
}

// With -token the example runs on a network it did not start: the
// orchestrator sees a BYOC stream with the start parameters, stopped at the end.
func TestBYOCWriteFramesWithToken(t *testing.T) {
	needFFmpeg(t)
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	b := livepeertest.EnableBYOC(n.Orchestrators()[0], livepeertest.BYOCConfig{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-token", n.Token(), "-stream-id", "s1", "-params", `{"effect":"hue","hue":200}`, "-o", out, "-duration", "2s"}, &stdout, &stderr))
	assert.NotContains(t, stderr.String(), "in-process")
	assert.Contains(t, stderr.String(), "stream s1 on")
	st, ok := n.Live()[0].Stream("s1")
	require.True(t, ok)
	assert.Equal(t, "byoc", st.Kind)
	assert.Equal(t, "text-reversal", st.Model)
	assert.Equal(t, map[string]any{"effect": "hue", "hue": float64(200)}, st.Params)
	assert.Positive(t, st.InSegs)
}

func TestBYOCWriteFramesBadParams(t *testing.T) {
	err := run(context.Background(), []string{"-params", "x"}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-params must be a JSON object")
}
