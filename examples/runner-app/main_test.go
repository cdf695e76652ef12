package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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

// With no flags: the runner registers, serves one client session (video in,
// filtered video out, one effect change), hears it released, unregisters.
func TestRunnerAppInProcess(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-o", out, "-duration", "4s"}, &stdout, &stderr), stdout.String()+stderr.String())
	require.Regexp(t, `(?s)registered with https://127\.0\.0\.1:\d+ as runner_\w+ \(app example/video-filter, heartbeat every 5s\)\n`+
		`.*session (\w+) reserved\n`+
		`.*client: session \w+ started \(negate\)\n`+
		`client: effect changed to hue 120°\n`+
		`client: wrote 1[12]\d filtered frames to .*`+
		`session \w+ released\n`+
		`.*unregistered\n$`, stdout.String())
	require.NotContains(t, stdout.String(), "heartbeat orchestrator", "heartbeats only with -v")

	info, err := media.FFprobe(ctx, out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	require.Equal(t, "h264", info.Video().CodecName)
	require.GreaterOrEqual(t, info.Video().Frames, 100)

	// Negated first (against the same test pattern), then hue-rotated,
	// which keeps the brightness.
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 320, Height: 180, Duration: 4 * time.Second,
		Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	require.NoError(t, err)
	in, err := io.ReadAll(src)
	require.NoError(t, err)
	require.NoError(t, src.Close())
	inFrames, err := livepeertest.GrayFrames(ctx, in, 32, 18)
	require.NoError(t, err)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	outFrames, err := livepeertest.GrayFrames(ctx, b, 32, 18)
	require.NoError(t, err)
	require.Len(t, outFrames, len(inFrames))
	require.Less(t, livepeertest.Correlation(inFrames[10], outFrames[10]), -0.9, "negated")
	last := len(inFrames) - 10
	require.Greater(t, livepeertest.Correlation(inFrames[last], outFrames[last]), 0.5, "hue-rotated")
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	require.Error(t, run(context.Background(), []string{"-orch", "https://x:1"}, &out, &out), "-secret is required with -orch")
	require.NoError(t, run(context.Background(), []string{"-h"}, &out, &out))
	_, err := videoFilter(map[string]any{"effect": "hue", "hue": 1e9})
	require.Error(t, err)
	_, err = videoFilter(map[string]any{"effect": "drawtext=oops"})
	require.Error(t, err)
	vf, err := videoFilter(map[string]any{"effect": "hue", "hue": 45.0})
	require.NoError(t, err)
	require.Equal(t, "hue=h=45", vf)
}
