package trickle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// segPipe is a synchronous in-memory pipe (like io.Pipe) between a
// SegmentWriter and the HTTP transport sending its body. Writes block until
// the transport has taken the bytes, so a slow server applies backpressure
// and nothing queues up. It counts consumed bytes so a failed request can be
// retried only while nothing was sent, and it fails a write that a
// connected request does not take for the stall timeout.
type segPipe struct {
	wrCh     chan []byte
	rdCh     chan int
	wrMu     sync.Mutex // serialises writers
	done     chan struct{}
	once     sync.Once
	err      error // set before done closes: what both sides see
	consumed atomic.Int64
	// inflight is set while a POST attempt is in flight (dialing,
	// sending, or waiting for the answer). With no attempt in flight the
	// publisher is between retries, which RetryTimeout bounds instead.
	inflight atomic.Bool
	stall    time.Duration // 0: no stall bound
	onTake   func(n int)   // called for every byte count taken (stats)
}

func newSegPipe(stall time.Duration, onTake func(int)) *segPipe {
	return &segPipe{wrCh: make(chan []byte), rdCh: make(chan int), done: make(chan struct{}), stall: stall, onTake: onTake}
}

// write hands b to the reader, blocking until taken, ctx ends, the pipe
// closes, or an attempt in flight takes nothing for the stall timeout (the
// pipe then fails with ErrStalled).
func (p *segPipe) write(ctx context.Context, b []byte) (int, error) {
	p.wrMu.Lock()
	defer p.wrMu.Unlock()
	select {
	case <-p.done:
		return 0, p.err
	default:
	}
	n := 0
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for len(b) > 0 {
		select { // fast path: the transport is waiting for bytes
		case p.wrCh <- b:
			k := <-p.rdCh
			b, n = b[k:], n+k
			continue
		default:
		}
		var stall <-chan time.Time
		if p.stall > 0 {
			if timer == nil {
				timer = time.NewTimer(p.stall)
			} else {
				timer.Reset(p.stall)
			}
			stall = timer.C
		}
		select {
		case p.wrCh <- b:
			k := <-p.rdCh
			b, n = b[k:], n+k
		case <-p.done:
			return n, p.err
		case <-ctx.Done():
			return n, ctx.Err()
		case <-stall:
			if p.inflight.Load() {
				p.closeWith(fmt.Errorf("%w: the server took no byte for %v", ErrStalled, p.stall))
				<-p.done
				return n, p.err
			}
			// No attempt in flight: the publisher is retrying; wait on.
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

// failed reports whether the pipe was closed with an error (not a clean
// end of the body).
func (p *segPipe) failed() bool { return p.isClosed() && p.err != io.EOF }

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
	// onEOF is called when the transport reads the end of the body.
	onEOF func()
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
			if a.p.onTake != nil {
				a.p.onTake(n)
			}
			a.p.rdCh <- n
			return n, nil
		case <-a.p.done:
			if a.p.err == io.EOF {
				if a.onEOF != nil {
					a.onEOF()
				}
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
