package trickle

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// segPipe is a synchronous in-memory pipe (like io.Pipe) between a
// SegmentWriter and the HTTP transport sending its body. Writes block until
// the transport has taken the bytes, so a slow server applies backpressure
// and nothing queues up; writes can also be bounded by a context. It counts
// consumed bytes so a failed request can be retried only while nothing was
// sent.
type segPipe struct {
	wrCh     chan []byte
	rdCh     chan int
	wrMu     sync.Mutex // serialises writers
	done     chan struct{}
	once     sync.Once
	err      error // set before done closes: what both sides see
	consumed atomic.Int64
}

func newSegPipe() *segPipe {
	return &segPipe{wrCh: make(chan []byte), rdCh: make(chan int), done: make(chan struct{})}
}

// write hands b to the reader, blocking until taken, ctx ends or the pipe
// closes.
func (p *segPipe) write(ctx context.Context, b []byte) (int, error) {
	p.wrMu.Lock()
	defer p.wrMu.Unlock()
	select {
	case <-p.done:
		return 0, p.err
	default:
	}
	n := 0
	for len(b) > 0 {
		select {
		case p.wrCh <- b:
			k := <-p.rdCh
			b = b[k:]
			n += k
		case <-p.done:
			return n, p.err
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
	return n, nil
}

// closeWith closes the pipe; readers see err (io.EOF for a clean end),
// writers see err (or ErrClosed for io.EOF). Only the first call counts.
func (p *segPipe) closeWith(err error) {
	p.once.Do(func() {
		p.err = err
		close(p.done)
	})
}

func (p *segPipe) isClosed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// attemptBody is the request body of one POST attempt. Closing it (which the
// transport does when the attempt ends) detaches it from the pipe without
// closing the pipe, so another attempt can take over.
type attemptBody struct {
	p       *segPipe
	stop    chan struct{}
	stopped sync.Once
	// alive reports whether the attempt's connection is still open; nil
	// until known. Polled while the body is idle before its first byte:
	// net/http does not end a request whose connection died while it waits
	// for body bytes, so without this a dead preconnect would eat the
	// segment's first write.
	alive func() bool
}

const idleConnCheck = 100 * time.Millisecond

func (a *attemptBody) Read(b []byte) (int, error) {
	select {
	case <-a.stop:
		return 0, io.ErrClosedPipe
	default:
	}
	var tick <-chan time.Time
	if a.alive != nil && a.p.consumed.Load() == 0 {
		t := time.NewTicker(idleConnCheck)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case src := <-a.p.wrCh:
			if tick != nil && !a.alive() {
				// Hand the first bytes back: a new attempt will take them.
				a.p.rdCh <- 0
				return 0, errConnGone
			}
			n := copy(b, src)
			a.p.consumed.Add(int64(n))
			a.p.rdCh <- n
			return n, nil
		case <-a.p.done:
			if a.p.err == io.EOF {
				return 0, io.EOF
			}
			return 0, io.ErrClosedPipe
		case <-a.stop:
			return 0, io.ErrClosedPipe
		case <-tick:
			if !a.alive() {
				return 0, errConnGone
			}
		}
	}
}

var errConnGone = errors.New("trickle: connection closed while idle")

func (a *attemptBody) Close() error {
	a.stopped.Do(func() { close(a.stop) })
	return nil
}
