package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/media"
)

// testPatterns are the --in values that mean an ffmpeg test pattern.
var testPatterns = map[string]string{"testsrc": "testsrc2", "testsrc2": "testsrc2", "smptebars": "smptebars"}

// sourceSpec is a parsed --in.
type sourceSpec struct {
	kind          string // "pattern", "camera", "file"
	arg           string // pattern name, device or path
	width, height int
	fps           int
}

func parseSource(in, size string, fps int) (sourceSpec, error) {
	s := sourceSpec{arg: in, fps: fps}
	if size != "" {
		if _, err := fmt.Sscanf(size, "%dx%d", &s.width, &s.height); err != nil || s.width <= 0 || s.height <= 0 {
			return s, fmt.Errorf("--size %q: want WxH, e.g. 640x360", size)
		}
	}
	if fps < 0 {
		return s, fmt.Errorf("--fps must not be negative")
	}
	switch {
	case testPatterns[in] != "":
		s.kind, s.arg = "pattern", testPatterns[in]
	case strings.HasPrefix(in, "/dev/video"):
		s.kind = "camera"
		if _, err := os.Stat(in); err != nil {
			return s, fmt.Errorf("--in %s: no such camera (use --in testsrc for a test pattern)", in)
		}
	default:
		s.kind = "file"
		if fi, err := os.Stat(in); err != nil || fi.IsDir() {
			return s, fmt.Errorf("--in %q: not a test pattern (testsrc, smptebars), a /dev/video camera or a media file", in)
		}
	}
	return s, nil
}

// start runs ffmpeg for the source, paced in real time, with a keyframe
// every second (the segment length). A test pattern runs for duration
// (0: until ctx ends); a camera until ctx ends; a file to its end.
func (s sourceSpec) start(ctx context.Context, duration time.Duration) (*media.Process, error) {
	enc := media.EncodeOptions{KeyframeInterval: time.Second}
	switch s.kind {
	case "pattern":
		w, h := s.width, s.height
		if w == 0 {
			w, h = 320, 180
		}
		return media.StartTestPattern(ctx, media.TestPatternOptions{Pattern: s.arg, Width: w, Height: h, FPS: s.fps,
			Duration: duration, Realtime: true, Encode: enc})
	case "camera":
		return media.StartCamera(ctx, s.arg, media.CameraOptions{Width: s.width, Height: s.height, FPS: s.fps, Encode: enc})
	}
	return media.StartFile(ctx, s.arg, media.FileOptions{Realtime: true, FPS: s.fps, Encode: enc})
}

func (s sourceSpec) String() string {
	switch s.kind {
	case "pattern":
		return "the " + s.arg + " test pattern"
	case "camera":
		return "camera " + s.arg
	}
	return s.arg
}
