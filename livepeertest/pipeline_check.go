package livepeertest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// GrayFrames decodes an MPEG-TS stream with ffmpeg into frames scaled to
// w×h 8-bit gray, one []byte of w*h per frame, in presentation order. It
// lets tests check what a pipeline did to the pixels. It fails when ffmpeg
// is missing or cannot decode the stream.
func GrayFrames(ctx context.Context, ts []byte, w, h int) ([][]byte, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("livepeertest: GrayFrames: bad size: %w", lperr.ErrInvalidConfig)
	}
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "mpegts", "-i", "pipe:0", "-map", "0:v:0",
		"-vf", "scale="+strconv.Itoa(w)+":"+strconv.Itoa(h)+",format=gray",
		"-fps_mode", "passthrough", "-f", "rawvideo", "pipe:1")
	cmd.Stdin = bytes.NewReader(ts)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("livepeertest: ffmpeg decode: %w: %s", err, stderr.String())
	}
	n := w * h
	b := out.Bytes()
	frames := make([][]byte, 0, len(b)/n)
	for len(b) >= n {
		frames = append(frames, b[:n:n])
		b = b[n:]
	}
	return frames, nil
}

// Correlation returns the Pearson correlation of two equally sized gray
// frames: near 1 for the same picture, near -1 for a negated one, 0 when
// either frame is flat or the sizes differ.
func Correlation(a, b []byte) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var sa, sb float64
	for i := range a {
		sa += float64(a[i])
		sb += float64(b[i])
	}
	ma, mb := sa/float64(len(a)), sb/float64(len(b))
	var cov, va, vb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])-mb
		cov += da * db
		va += da * da
		vb += db * db
	}
	if va == 0 || vb == 0 {
		return 0
	}
	return cov / math.Sqrt(va*vb)
}
