package media

import (
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

var (
	// ErrFFmpegNotFound is returned by the ffmpeg helpers when the ffmpeg or
	// ffprobe binary cannot be found. It wraps exec.ErrNotFound where relevant.
	ErrFFmpegNotFound = errors.New("media: ffmpeg binary not found")

	// ErrInvalidStream is returned when input bytes are not a usable MPEG-TS
	// stream: no PAT/PMT within the probe limit, or the stream ends first.
	ErrInvalidStream = errors.New("media: invalid MPEG-TS stream")

	// ErrUnsupportedCodec is returned when a stream has no H.264 or AAC track,
	// or a packet names a codec this package cannot mux.
	ErrUnsupportedCodec = errors.New("media: unsupported codec")

	// ErrInvalidAccessUnit is returned for an access unit that cannot be muxed
	// (empty, not Annex-B, no decodable timing). The access unit is dropped; the
	// component that returned it stays usable.
	ErrInvalidAccessUnit = errors.New("media: invalid access unit")

	// ErrClosed is returned (wrapped, with a "media: <type> closed" message)
	// by calls made after Close. It is the SDK-wide closed error: the same
	// value as livepeer.ErrClosed and trickle.ErrClosed, so one errors.Is
	// check covers every closed object.
	ErrClosed = lperr.ErrClosed
)

// closedError names what was closed; errors.Is(err, ErrClosed) holds.
type closedError string

func (e closedError) Error() string { return "media: " + string(e) + " closed" }

// Is reports whether target is ErrClosed.
func (e closedError) Is(target error) bool { return target == ErrClosed }

// The closed errors of each closable type.
const (
	errSegmenterClosed    closedError = "segmenter"
	errContinuousClosed   closedError = "continuous writer"
	errProcessClosed      closedError = "process"
	errStdinClosed        closedError = "process stdin"
	errSegmentClosed      closedError = "segment"
	errFrameEncoderClosed closedError = "frame encoder"
	errFrameDecoderClosed closedError = "frame decoder"
)

// SinkError reports that the [SegmentSink] could not open a new segment. It is
// fatal for the [Segmenter] that returned it.
type SinkError struct {
	Err error
}

func (e *SinkError) Error() string { return "media: open segment: " + e.Err.Error() }

// Unwrap returns the sink's error.
func (e *SinkError) Unwrap() error { return e.Err }

// ProcessError reports that an ffmpeg or ffprobe process failed. Stderr holds
// the last lines the process printed.
type ProcessError struct {
	Cmd    string // binary name, e.g. "ffmpeg"
	Err    error  // the exec error (usually *exec.ExitError)
	Stderr string // tail of the process's stderr
}

func (e *ProcessError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("media: %s: %v", e.Cmd, e.Err)
	}
	return fmt.Sprintf("media: %s: %v: %s", e.Cmd, e.Err, e.Stderr)
}

// Unwrap returns the exec error.
func (e *ProcessError) Unwrap() error { return e.Err }
