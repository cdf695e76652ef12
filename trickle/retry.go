package trickle

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Defaults of the time bounds (see PublisherConfig and SubscriberConfig).
const (
	// DefaultRetryTimeout is how long a publisher or subscriber keeps
	// retrying a server it cannot reach before it gives up with
	// ErrServerUnavailable: long enough to ride out a server restart of a
	// few seconds.
	DefaultRetryTimeout = 10 * time.Second
	// DefaultPublishStallTimeout bounds how long a publisher's connection
	// may take no byte of a segment, or give no answer after it ended.
	DefaultPublishStallTimeout = 10 * time.Second
	// DefaultReadStallTimeout bounds how long a segment read may receive
	// no byte. It is longer than the publisher's because some channels
	// (JSONL data) stay open with sparse messages.
	DefaultReadStallTimeout = 30 * time.Second

	defaultRetryDelay = 100 * time.Millisecond
	// maxRetryDelay caps the backoff: a restarted server is found again
	// within a quarter second, before a publisher of short segments gets
	// a ring (5 segments) ahead of its subscribers.
	maxRetryDelay = 250 * time.Millisecond
)

// outage tracks a streak of failures, so that retrying is bounded by the
// time since the streak began rather than by a count.
type outage struct {
	mu    sync.Mutex
	since time.Time // zero while healthy
}

// ok ends the streak: the server answered.
func (o *outage) ok() {
	o.mu.Lock()
	o.since = time.Time{}
	o.mu.Unlock()
}

// fail records a failure and returns how long the streak has lasted.
func (o *outage) fail() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		o.since = time.Now()
	}
	return time.Since(o.since)
}

// unavailableKind reports whether err says the server could not be reached
// or did not cope (a network error, 408, 429, 5xx, a stall), as opposed to
// an answer that refuses the request.
func unavailableKind(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, ErrStreamNotFound) && !errors.Is(err, ErrEndOfStream) && !errors.Is(err, ErrClosed) &&
		!errors.Is(err, ErrSegmentDropped)
}

// backoff returns the delay before retry attempt n (1-based): base*2^(n-1),
// capped at max, with +-10% jitter.
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	j := time.Duration(rand.Int64N(int64(d)/5 + 1))
	return d - d/10 + j
}

// sleepCtx waits d or until ctx or done ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-done:
		return false
	}
}
