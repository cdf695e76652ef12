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

func TestCameraFileToFile(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.mp4"), filepath.Join(dir, "out.ts")
	gen := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc2=size=320x180:rate=30", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", in)
	b, err := gen.CombinedOutput()
	require.NoError(t, err, string(b))

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-file", in, "-o", out}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "in-process network")
	assert.Contains(t, stderr.String(), "sending "+in)
	assert.Contains(t, stdout.String(), "wrote ")
	info, err := media.FFprobe(ctx, out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	assert.Equal(t, "h264", info.Video().CodecName)
	assert.GreaterOrEqual(t, info.Video().Frames, 57) // 60 sent, within 5 %
	assert.Equal(t, 320, info.Video().Width)
}

func TestCameraFallbackToTestPatternOnStdout(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	dev := filepath.Join(t.TempDir(), "video9") // no such device
	require.NoError(t, run(ctx, []string{"-device", dev, "-duration", "2s", "-o", "-"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "no camera at "+dev+" and no -file: sending a 320x180 test pattern for 2s instead")
	assert.Contains(t, stderr.String(), "frames to -")
	info, err := media.FFprobe(ctx, "", bytes.NewReader(stdout.Bytes()), media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	assert.GreaterOrEqual(t, info.Video().Frames, 57)
}

func TestCameraMissingFile(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-file", filepath.Join(t.TempDir(), "nope.mp4"), "-o", filepath.Join(t.TempDir(), "o.ts")}, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-file:")
	assert.NotContains(t, err.Error(), "\n")
}
