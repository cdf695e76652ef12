package aipipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// imageSize returns the width and height of a PNG, JPEG or GIF image, the
// formats go-livepeer's orchestrator decodes: at master
// 176aa415ccea4f9861e0dd44e981cda17fb36f52 it registers image/png,
// image/jpeg and image/gif through ai/worker/b64.go:7-9 and reads the size
// with image.DecodeConfig (server/ai_http.go:1435-1451). The decoders are
// called directly, without registering formats globally.
func imageSize(p Pipeline, f File) (w, h int64, err error) {
	d := f.Data
	var cfg image.Config
	switch {
	case len(d) == 0:
		return 0, 0, &InputError{Pipeline: p, Field: "image", Reason: "empty"}
	case bytes.HasPrefix(d, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err = png.DecodeConfig(bytes.NewReader(d))
	case bytes.HasPrefix(d, []byte("\xff\xd8")):
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(d))
	case bytes.HasPrefix(d, []byte("GIF87a")), bytes.HasPrefix(d, []byte("GIF89a")):
		cfg, err = gif.DecodeConfig(bytes.NewReader(d))
	default:
		return 0, 0, &InputError{Pipeline: p, Field: "image", Reason: "not a PNG, JPEG or GIF image"}
	}
	if err != nil {
		return 0, 0, &InputError{Pipeline: p, Field: "image", Reason: "cannot read its size", Err: err}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, &InputError{Pipeline: p, Field: "image", Reason: "zero size"}
	}
	return int64(cfg.Width), int64(cfg.Height), nil
}

// probeDuration runs ffprobe on audio (through a temporary file, so that
// formats that need seeking work) and returns the container's duration.
func probeDuration(ctx context.Context, ffprobe string, audio []byte) (time.Duration, error) {
	if ffprobe == "" {
		ffprobe = "ffprobe"
	}
	bin, err := exec.LookPath(ffprobe)
	if err != nil {
		return 0, fmt.Errorf("ffprobe not found: %w", err)
	}
	f, err := os.CreateTemp("", "aipipeline-audio-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(audio)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=noprint_wrappers=1:nokey=1", f.Name())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("ffprobe: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	s := strings.TrimSpace(stdout.String())
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || secs < 0 {
		return 0, errors.New("ffprobe reports no duration (" + strconv.Quote(s) + ")")
	}
	return time.Duration(secs * float64(time.Second)), nil
}
