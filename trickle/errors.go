package trickle

import (
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ErrEndOfStream reports the clean end of a channel: the server sent the
// end-of-stream signal (Lp-Trickle-Closed, go-livepeer
// trickle/trickle_server.go). It is not a failure; iterators stop on it
// without yielding it. A channel that disappears without that signal is
// ErrStreamVanished instead.
var ErrEndOfStream = errors.New("trickle: end of stream")

// ErrStreamNotFound reports that the channel does not exist on the server
// (HTTP 404). It is terminal. go-livepeer's clients report every 404 as
// StreamNotFoundErr (trickle/trickle_publisher.go).
var ErrStreamNotFound = errors.New("trickle: stream not found")

// ErrStreamVanished is the ErrStreamNotFound of a channel this subscriber
// had already seen: the server no longer knows it, without having sent the
// end-of-stream signal (an orchestrator restart, or a server that removes
// channels without remembering them). errors.Is(err, ErrStreamNotFound)
// holds for it too. It is not a clean end: that is ErrEndOfStream.
var ErrStreamVanished = fmt.Errorf("%w: the channel vanished after it was seen", ErrStreamNotFound)

// ErrSegmentsSkipped is matched (errors.Is) by a *SkipError.
var ErrSegmentsSkipped = errors.New("trickle: segments skipped")

// SkipError reports segments a subscriber did not get because they had
// left the server's ring (the publisher was more than the ring, 5 segments
// on go-livepeer, ahead): seqs From to To-1. The subscriber goes on with
// seq To. Next returns it only with SubscriberConfig.ReportSkips; skips are
// always counted in Stats and on the next segment (Segment.Skipped).
type SkipError struct {
	From, To int
}

func (e *SkipError) Error() string {
	return fmt.Sprintf("trickle: segments %d to %d skipped (%d): they left the server's ring before they were read", e.From, e.To-1, e.To-e.From)
}

// Is makes errors.Is(err, ErrSegmentsSkipped) hold.
func (e *SkipError) Is(target error) bool { return target == ErrSegmentsSkipped }

// ErrClosed is returned by calls on a publisher, subscriber, writer or
// server that was closed. It is lperr.ErrClosed, so errors.Is works across
// livepeer-go packages.
var ErrClosed = lperr.ErrClosed

// ErrMessageTooLarge is returned by JSON readers for a message larger than
// their configured bound.
var ErrMessageTooLarge = errors.New("trickle: message too large")

// ErrSegmentDropped is returned by a SegmentWriter whose segment was not
// stored: the server closed or refused its seq (before any byte: a skipped
// seq; after: a failed segment), or the request failed after bytes were
// sent, so it cannot be retried.
var ErrSegmentDropped = errors.New("trickle: segment dropped")

// ErrServerUnavailable is returned once a publisher or subscriber gave up
// on a server it could not reach (connection errors, 5xx, stalls) for its
// RetryTimeout. It is terminal for the publisher or subscriber.
var ErrServerUnavailable = errors.New("trickle: server unavailable")

// ErrStalled reports a connection that made no progress for a
// StallTimeout: a server that took no byte of a segment being written, sent
// no answer after a segment ended, or sent no byte of a segment being read.
// The segment fails; a publisher's next segment starts afresh.
var ErrStalled = errors.New("trickle: stalled")

// Closed errors of each kind of object: errors.Is(err, ErrClosed) holds.
var (
	errPublisherClosed     = fmt.Errorf("trickle: publisher: %w", ErrClosed)
	errSubscriberClosed    = fmt.Errorf("trickle: subscriber: %w", ErrClosed)
	errSegmentClosed       = fmt.Errorf("trickle: segment: %w", ErrClosed)
	errWriterClosed        = fmt.Errorf("trickle: writer: %w", ErrClosed)
	errServerIsClosed      = fmt.Errorf("trickle: server: %w", ErrClosed)
	errControlWriterClosed = fmt.Errorf("trickle: control writer: %w", ErrClosed)
	errJSONLWriterClosed   = fmt.Errorf("trickle: JSONL writer: %w", ErrClosed)
)

// StatusError is an unexpected HTTP status from a trickle server.
type StatusError struct {
	Op   string // "publish", "subscribe", "delete", "next", "create"
	URL  string
	Code int
	Body string // first bytes of the body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("trickle: %s %s: HTTP %d: %s", e.Op, e.URL, e.Code, e.Body)
}
