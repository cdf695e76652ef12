package trickle

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Segment is one segment being received: an io.ReadCloser over the bytes
// as they arrive. Read is not safe for concurrent use; Close may be called
// from any goroutine.
type Segment struct {
	s       *Subscriber
	seq     int
	skipped int
	body    io.ReadCloser
	header  http.Header
	ctx     context.Context         // this segment's request
	cancel  context.CancelCauseFunc // ends it, with a cause
	stall   time.Duration           // 0: no idle bound
	timer   *time.Timer             // the stall bound of the Read in progress
	once    sync.Once
	closed  atomic.Bool
}

// Seq returns the segment's sequence number (Lp-Trickle-Seq).
func (g *Segment) Seq() int { return g.seq }

// Skipped returns how many segments right before this one the subscriber
// skipped (Seq()-Skipped() to Seq()-1) because they had left the server's
// ring; 0 when none. With SubscriberConfig.ReportSkips the skip was
// reported by Next instead, and this is 0.
func (g *Segment) Skipped() int { return g.skipped }

// ContentType returns the channel's mime type as the server reported it.
func (g *Segment) ContentType() string { return g.header.Get("Content-Type") }

// Latest returns Lp-Trickle-Latest when the server sent it (the subscriber
// was behind the write head), else -1.
func (g *Segment) Latest() int {
	if n, ok := headerSeq(g.header, HeaderLatest); ok {
		return n
	}
	return -1
}

// Read reads segment bytes; io.EOF at the clean end of the segment. A
// segment cut short (the publisher failed, the connection was lost, the
// server cut it) gives io.ErrUnexpectedEOF or a network error, never
// io.EOF. A Read that gets no byte for the subscriber's StallTimeout fails
// with an error wrapping ErrStalled, and the segment is abandoned. After
// Close (of the segment or the subscriber) it returns an error wrapping
// ErrClosed.
func (g *Segment) Read(p []byte) (int, error) {
	if g.closed.Load() {
		return 0, errSegmentClosed
	}
	if g.stall > 0 {
		if g.timer == nil {
			g.timer = time.AfterFunc(g.stall, g.stalled)
		} else {
			g.timer.Reset(g.stall)
		}
	}
	n, err := g.body.Read(p)
	if g.timer != nil {
		g.timer.Stop()
	}
	if n > 0 {
		g.s.stats.bytes.Add(int64(n))
		g.s.stats.touch()
	}
	if err != nil && err != io.EOF {
		err = g.readErr(err)
	}
	return n, err
}

func (g *Segment) stalled() {
	g.cancel(fmt.Errorf("%w: no byte of segment %d for %v", ErrStalled, g.seq, g.stall))
}

// readErr explains why the body read failed: the segment or subscriber was
// closed, the request was ended with a cause (a stall, a ReadContext's ctx),
// or the connection failed (err itself).
func (g *Segment) readErr(err error) error {
	switch {
	case g.closed.Load() || g.s.ctx.Err() != nil:
		return errSegmentClosed
	case g.ctx.Err() != nil:
		return context.Cause(g.ctx)
	}
	return err
}

// ReadContext is Read bounded by ctx as well: when ctx ends first it
// returns ctx.Err() and the segment is abandoned (its request is cancelled;
// the rest of it cannot be read).
func (g *Segment) ReadContext(ctx context.Context, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { g.cancel(ctx.Err()) })
	n, err := g.Read(p)
	if !stop() && err != nil && err != io.EOF {
		return n, ctx.Err()
	}
	return n, err
}

// Close releases the segment's connection. Idempotent.
func (g *Segment) Close() error {
	g.once.Do(func() {
		g.closed.Store(true)
		g.cancel(errSegmentClosed)
		_ = g.body.Close()
		g.s.mu.Lock()
		delete(g.s.open, g)
		g.s.mu.Unlock()
	})
	return nil
}
