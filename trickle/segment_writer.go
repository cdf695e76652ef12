package trickle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"
)

var errEOF = io.EOF

// errSkipped marks a preconnected segment the server closed before any byte
// was sent (Reset, DELETE of the seq): not a failure.
var errSkipped = fmt.Errorf("%w: closed by the server before any data", ErrSegmentDropped)

// SegmentWriter streams one segment: an io.WriteCloser whose bytes go to the
// server as they are written (chunked POST). Writes block until the
// transport takes the bytes, so a slow server slows the writer instead of
// growing a queue. Write and Close may be called from different goroutines,
// but writes must not be concurrent with each other.
type SegmentWriter struct {
	p     *Publisher
	seq   int
	reset bool
	pipe  *segPipe
	done  chan struct{} // closed when the POST finished
	err   error         // the outcome, valid after done
	rseq  int           // Lp-Trickle-Seq of the reply, -1 if none
}

// Seq returns the segment's sequence number.
func (w *SegmentWriter) Seq() int { return w.seq }

// Write sends b; it blocks until the bytes are taken by the connection, the
// segment fails, or the publisher closes. See WriteContext.
func (w *SegmentWriter) Write(b []byte) (int, error) {
	return w.WriteContext(context.Background(), b)
}

// WriteContext is Write bounded by ctx. It returns ErrClosed after Close,
// ctx.Err(), or the segment's error (the segment then cannot be resumed;
// the next one from Publisher.Next can).
func (w *SegmentWriter) WriteContext(ctx context.Context, b []byte) (int, error) {
	n, err := w.pipe.write(ctx, b)
	if err == io.EOF {
		err = ErrClosed
	}
	return n, err
}

// Close ends the segment and waits for the server's answer (bounded by the
// publisher's Close). It returns nil when the server stored the segment,
// else the segment's error. Idempotent.
func (w *SegmentWriter) Close() error {
	w.pipe.closeWith(io.EOF)
	<-w.done
	return w.err
}

// ReplySeq returns the seq the server reported (Lp-Trickle-Seq) for this
// segment after Close, or -1 if none was reported.
func (w *SegmentWriter) ReplySeq() int {
	select {
	case <-w.done:
		return w.rseq
	default:
		return -1
	}
}

// abort fails the segment (the POST is cancelled) and waits for it.
func (w *SegmentWriter) abort(err error) {
	w.pipe.closeWith(err)
	<-w.done
}

// finishedEarly reports whether the POST already ended without taking a
// byte because the server closed the segment.
func (w *SegmentWriter) finishedEarly() bool {
	select {
	case <-w.done:
		return errors.Is(w.err, errSkipped)
	default:
		return false
	}
}

// run sends the POST, retrying while no byte was consumed.
func (w *SegmentWriter) run() {
	p := w.p
	defer p.wg.Done()
	url := segURL(p.url, w.seq)
	attempts := 0
	var err error
	terminal := false
	w.rseq = -1
	for {
		attempts++
		started := time.Now()
		var retry bool
		err, retry, terminal = w.attempt(url)
		if err == nil || !retry || w.pipe.consumed.Load() > 0 || w.pipe.isClosed() && w.pipe.err != io.EOF || p.ctx.Err() != nil {
			break
		}
		if time.Since(started) > 10*time.Second {
			attempts = 0
		}
		if attempts >= p.cfg.MaxAttempts {
			break
		}
		d := backoff(p.cfg.RetryDelay, 2*time.Second, attempts)
		p.log.Debug("trickle: retrying segment (no body bytes sent)", "url", url, "attempt", attempts, "delay", d, "err", err)
		if !sleepCtx(p.ctx, w.pipe.done, d) && (p.ctx.Err() != nil || w.pipe.err != io.EOF) {
			break
		}
	}
	if p.ctx.Err() != nil && err != nil {
		err = ErrClosed
	}
	if err != nil && !errors.Is(err, errSkipped) {
		if p.isClosing() || errors.Is(err, ErrClosed) || errors.Is(err, ErrEndOfStream) {
			p.log.Debug("trickle: segment ended", "url", url, "err", err)
		} else {
			p.log.Warn("trickle: segment failed", "url", url, "bytes", w.pipe.consumed.Load(), "err", err)
		}
	}
	w.err = err
	if err != nil {
		w.pipe.closeWith(err)
	} else {
		w.pipe.closeWith(io.EOF)
	}
	p.segmentDone(w, err, terminal)
	close(w.done)
}

// attempt makes one POST. It reports the outcome, whether it may be retried
// (only meaningful while no byte was consumed) and whether it is terminal
// for the publisher.
func (w *SegmentWriter) attempt(url string) (err error, retry, terminal bool) {
	p := w.p
	body := &attemptBody{p: w.pipe, stop: make(chan struct{})}
	var conn atomic.Pointer[net.Conn]
	body.alive = func() bool {
		c := conn.Load()
		// SetWriteDeadline fails once the transport closed the connection.
		return c == nil || (*c).SetWriteDeadline(time.Time{}) == nil
	}
	ctx := httptrace.WithClientTrace(p.ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Conn != nil {
			conn.Store(&i.Conn)
		}
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return err, false, true
	}
	req.Header.Set("Content-Type", p.cfg.MimeType)
	if w.reset {
		req.Header.Set(HeaderReset, "1")
	}
	resp, err := p.client.Do(req)
	body.Close()
	if err != nil {
		if w.pipe.isClosed() && w.pipe.err != io.EOF {
			return w.pipe.err, false, false
		}
		return fmt.Errorf("trickle: publish %s: %w", url, err), true, false
	}
	defer drainClose(resp.Body)
	if s, ok := headerSeq(resp.Header, HeaderSeq); ok {
		w.rseq = s
	}
	switch code := resp.StatusCode; {
	case isClosed(resp.Header):
		return ErrEndOfStream, false, true
	case code == http.StatusOK:
		// The server answers 200 before we ended the body only when it
		// closed the segment while the POST was still waiting for data.
		if !(w.pipe.isClosed() && w.pipe.err == io.EOF) && w.pipe.consumed.Load() == 0 {
			return errSkipped, false, false
		}
		if !w.pipe.isClosed() {
			return fmt.Errorf("%w: server ended segment %d early", ErrSegmentDropped, w.seq), false, false
		}
		return nil, false, false
	case code == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrStreamNotFound, url), false, true
	case code == http.StatusConflict:
		// Our server refuses a seq it cannot store (already written,
		// written by another publisher, too old, taken over by a newer
		// POST, cut while being written). Before any byte that is a
		// skipped seq; after, the segment failed.
		se := &StatusError{Op: "publish", URL: url, Code: code, Body: readSmall(resp.Body)}
		if w.pipe.consumed.Load() == 0 && !(w.pipe.isClosed() && w.pipe.err == io.EOF) {
			return fmt.Errorf("%w: %w", errSkipped, se), false, false
		}
		return fmt.Errorf("%w: %w", ErrSegmentDropped, se), false, false
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return &StatusError{Op: "publish", URL: url, Code: code, Body: readSmall(resp.Body)}, true, false
	default:
		return &StatusError{Op: "publish", URL: url, Code: code, Body: strconv.Quote(readSmall(resp.Body))}, false, false
	}
}
