package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/media"
)

func TestWriteFramesInProcess(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout bytes.Buffer
	require.NoError(t, run(ctx, []string{"-o", out, "-duration", "4s"}, &stdout, io.Discard))
	require.Contains(t, stdout.String(), "wrote")
	info, err := media.FFprobe(ctx, out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	require.Equal(t, "h264", info.Video().CodecName)
	require.GreaterOrEqual(t, info.Video().Frames, 114) // 120 sent, within 5 %
}
