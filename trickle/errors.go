package trickle

import (
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ErrEndOfStream reports the clean end of a channel: the server closed it
// (Lp-Trickle-Closed) or removed it after it had been seen. It is not a
// failure; iterators stop on it without yielding it.
var ErrEndOfStream = errors.New("trickle: end of stream")

// ErrStreamNotFound reports that the channel does not exist on the server
// (HTTP 404 on a channel this client never saw). It is terminal.
var ErrStreamNotFound = errors.New("trickle: stream not found")

// ErrClosed is returned by calls on a publisher, subscriber, writer or
// server that was closed. It is lperr.ErrClosed, so errors.Is works across
// livepeer-go packages.
var ErrClosed = lperr.ErrClosed

// ErrMessageTooLarge is returned by JSON readers for a message larger than
// their configured bound.
var ErrMessageTooLarge = errors.New("trickle: message too large")

// ErrSegmentDropped is returned by a SegmentWriter whose segment could not be
// delivered (the server closed it before any byte was sent, or the request
// failed after bytes were sent so it cannot be retried).
var ErrSegmentDropped = errors.New("trickle: segment dropped")

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

// SeqNotFoundError is the 470 answer: the channel exists but the requested
// segment does not (too old, or too far ahead). Subscribers handle it
// internally; it surfaces only through ParseResponse-style helpers.
type SeqNotFoundError struct {
	Seq    int // the requested seq
	Latest int // the server's next write seq (Lp-Trickle-Latest), -1 if absent
}

func (e *SeqNotFoundError) Error() string {
	return fmt.Sprintf("trickle: segment %d not found (latest %d)", e.Seq, e.Latest)
}
