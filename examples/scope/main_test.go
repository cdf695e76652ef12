package main

import (
	"bytes"
	"context"
	"image"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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

// On the in-process network: video through a Scope runner into out.ts,
// which ffprobe reads as H.264 with every frame sent, the prompt's effect
// changing half way ("flowers": rose tint; "ocean": cool tint).
func TestScopeInProcess(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-duration", "4s", "-o", out}, &stdout, &stderr), stderr.String())
	require.Contains(t, stderr.String(), "(runner)")
	require.Contains(t, stderr.String(), `prompt changed to "ocean"`)
	require.Regexp(t, `wrote 1[12]\d frames to `, stdout.String())
	info, err := media.FFprobe(ctx, out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	require.Equal(t, "h264", info.Video().CodecName)
	require.GreaterOrEqual(t, info.Video().Frames, 100)

	// Red over blue, first and last frames: the rose tint, then the cool one.
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var ratios []float64
	for f, err := range media.DecodeFrames(ctx, oneSegment(b), media.FrameDecoderOptions{Width: 32, Height: 18}) {
		require.NoError(t, err)
		ratios = append(ratios, redOverBlue(f.Image))
	}
	require.GreaterOrEqual(t, len(ratios), 100)
	require.Greater(t, ratios[5], 1.3*ratios[len(ratios)-5], "rose first, cool last: %v vs %v", ratios[5], ratios[len(ratios)-5])
}

func redOverBlue(img *image.RGBA) float64 {
	var r, b float64
	for i := 0; i+3 < len(img.Pix); i += 4 {
		r += float64(img.Pix[i])
		b += float64(img.Pix[i+2])
	}
	return (r + 1) / (b + 1)
}

// oneSegment is the whole file as one segment.
func oneSegment(b []byte) iter.Seq2[io.Reader, error] {
	return func(yield func(io.Reader, error) bool) { yield(bytes.NewReader(b), nil) }
}
