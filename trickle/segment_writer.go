package trickle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"sync/atomic"
	"time"
)

// errSkipped marks a preconnected segment the server closed or refused
// before any byte was sent (Reset, DELETE of the seq, another publisher's
// segment): not a failure, the publisher skips the seq.
var errSkipped = fmt.Errorf("%w: closed by the server before any data", ErrSegmentDropped)

// SegmentWriter streams one segment: an io.WriteCloser whose bytes go to the
// server as they are written (chunked POST). Writes block until the
// transport takes the bytes, so a slow server slows the writer instead of
// growing a queue. Write and Close may be called from different goroutines,
// but writes must not be concurrent with each other.
//
// What success promises: Write returning nil means the bytes were handed to
// the connection (the operating system's socket), not that the server has
// them. CloseContext (or Close) returning nil means the server read the
// whole body and then answered 200 for this seq: the segment is stored and
// its readers got a clean end. Anything else is an error.
type SegmentWriter struct {
	p      *Publisher
	seq    int
	reset  bool
	pipe   *segPipe
	ctx    context.Context // the POST attempts; cancelled by abort and stalls
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the POST finished
	err    error         // the outcome, valid after done
	rseq   int           // Lp-Trickle-Seq of the reply, -1 if none
}

// Seq returns the segment's sequence number.
func (w *SegmentWriter) Seq() int { return w.seq }

// Write sends b; it blocks until the bytes are taken by the connection, the
// segment fails (ErrStalled when a connected server takes nothing for the
// publisher's StallTimeout), or the publisher closes. See WriteContext.
func (w *SegmentWriter) Write(b []byte) (int, error) {
	return w.WriteContext(context.Background(), b)
}

// WriteContext is Write bounded by ctx. It returns an error wrapping
// ErrClosed after Close, ctx.Err() (the segment stays usable), or the
// segment's error (the segment then cannot be resumed; the next one from
// Publisher.Next can).
func (w *SegmentWriter) WriteContext(ctx context.Context, b []byte) (int, error) {
	n, err := w.pipe.write(ctx, b)
	if err == io.EOF {
		err = errWriterClosed
	}
	return n, err
}

// Close is CloseContext without a context: the wait for the server's answer
// is still bounded by the publisher's StallTimeout.
func (w *SegmentWriter) Close() error { return w.CloseContext(context.Background()) }

// CloseContext ends the segment and waits for the server's answer. It
// returns nil when the server stored the segment (see SegmentWriter);
// else the segment's error, an error wrapping ErrStalled when a connected
// server gave no answer for the publisher's StallTimeout, or ctx.Err() when
// ctx ended first (the POST is then cancelled: a segment whose answer did
// not come is never reported stored). Later calls return the same result.
func (w *SegmentWriter) CloseContext(ctx context.Context) error {
	w.pipe.closeWith(io.EOF)
	select {
	case <-w.done:
		return w.err
	default:
	}
	var timer *time.Timer
	var stall <-chan time.Time
	if d := w.p.cfg.StallTimeout; d > 0 {
		timer = time.NewTimer(d)
		defer timer.Stop()
		stall = timer.C
	}
	for {
		select {
		case <-w.done:
			return w.err
		case <-ctx.Done():
			w.cancel(ctx.Err())
			<-w.done
			return w.err
		case <-stall:
			if !w.pipe.inflight.Load() {
				timer.Reset(w.p.cfg.StallTimeout) // retrying: RetryTimeout bounds it
				continue
			}
			w.cancel(fmt.Errorf("%w: no answer for %v after segment %d ended", ErrStalled, w.p.cfg.StallTimeout, w.seq))
			<-w.done
			return w.err
		}
	}
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
	w.cancel(err)
	<-w.done
}

// finishedEarly reports whether the POST already ended without taking a
// byte because the server closed or refused its seq.
func (w *SegmentWriter) finishedEarly() bool {
	select {
	case <-w.done:
		return errors.Is(w.err, errSkipped)
	default:
		return false
	}
}

// run sends the POST, retrying with backoff while no byte was consumed and
// the failure streak is shorter than RetryTimeout.
func (w *SegmentWriter) run() {
	p := w.p
	defer p.wg.Done()
	defer w.cancel(nil)
	url := segURL(p.url, w.seq)
	var err error
	var retry, terminal bool
	for n := 1; ; n++ {
		if n > 1 {
			p.stats.retries.Add(1)
		}
		w.pipe.inflight.Store(true)
		err, retry, terminal = w.attempt(url)
		w.pipe.inflight.Store(false)
		if err == nil || errors.Is(err, errSkipped) {
			p.health.ok()
			p.stats.touch()
			break
		}
		if terminal || !retry || w.ctx.Err() != nil || w.pipe.failed() || w.pipe.consumed.Load() > 0 {
			break
		}
		elapsed := p.health.fail()
		if elapsed >= p.cfg.RetryTimeout {
			break
		}
		d := min(backoff(p.cfg.RetryDelay, maxRetryDelay, n), p.cfg.RetryTimeout-elapsed)
		p.log.Debug("trickle: retrying segment (no body bytes sent)", "url", url, "attempt", n, "delay", d, "err", err)
		if !sleepCtx(w.ctx, w.pipe.done, d) && (w.ctx.Err() != nil || w.pipe.failed()) {
			break
		}
	}
	switch {
	case err == nil, errors.Is(err, errSkipped), terminal && !p.isClosing():
	case p.isClosing():
		// The publisher's Close ended it (its DELETE may have cut the
		// segment on the server first): that is the cause to report.
		err = errWriterClosed
	case context.Cause(w.ctx) != nil && w.ctx.Err() != nil:
		err = context.Cause(w.ctx) // CloseContext's ctx, a stall, an abort
	}
	if err != nil && !terminal && unavailableKind(err) {
		if elapsed := p.health.fail(); elapsed >= p.cfg.RetryTimeout {
			err = fmt.Errorf("trickle: publish %s: %w: failing for %v: %w", url, ErrServerUnavailable, elapsed.Round(time.Millisecond), err)
			terminal = true
		}
	}
	closing := p.isClosing()
	if err != nil && !errors.Is(err, errSkipped) {
		if closing || errors.Is(err, ErrClosed) || errors.Is(err, ErrEndOfStream) {
			p.log.Debug("trickle: segment ended", "url", url, "err", err)
		} else {
			p.log.Warn("trickle: segment failed", "url", url, "bytes", w.pipe.consumed.Load(), "err", err)
		}
		if !closing && !errors.Is(err, ErrStreamNotFound) && !errors.Is(err, ErrEndOfStream) {
			w.closeOnServer(url)
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

// closeOnServer closes a failed segment's seq on the server, best effort
// and in the background (DELETE {channel}/{seq}, bounded by CloseTimeout).
// go-livepeer's gateway does the same with pendingPost.Close
// (server/ai_live_video.go, trickle/trickle_publisher.go): its server
// leaves a segment whose POST failed open, so readers waiting on it would
// stall until its ring slot is reused. Our server already aborts it.
func (w *SegmentWriter) closeOnServer(url string) {
	p := w.p
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.delete(p.ctx, url); err != nil {
			p.log.Debug("trickle: could not close a failed segment on the server", "url", url, "err", err)
		}
	}()
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
	// The answer counts only if it came after the whole body was sent: a
	// server that answers before reading it did not store it.
	// GotFirstResponseByte also fires for a 100 Continue keepalive; after
	// one, the check falls back to the state when the answer is read.
	var sentAll, early, had1xx atomic.Bool
	body.onEOF = func() { sentAll.Store(true) }
	ctx := httptrace.WithClientTrace(w.ctx, &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			if i.Conn != nil {
				conn.Store(&i.Conn)
			}
		},
		GotFirstResponseByte: func() { early.Store(!sentAll.Load()) },
		Got1xxResponse: func(int, textproto.MIMEHeader) error {
			had1xx.Store(true)
			return nil
		},
	})
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
	if had1xx.Load() {
		early.Store(!sentAll.Load())
	}
	if err != nil {
		if w.pipe.failed() {
			return w.pipe.err, false, false
		}
		return fmt.Errorf("trickle: publish %s: %w", url, err), true, false
	}
	defer drainClose(resp.Body)
	if s, ok := headerSeq(resp.Header, HeaderSeq); ok {
		w.rseq = s
	}
	consumed := w.pipe.consumed.Load()
	switch code := resp.StatusCode; {
	case isClosed(resp.Header):
		return ErrEndOfStream, false, true
	case code == http.StatusOK && (early.Load() || !sentAll.Load()):
		// The server ended the segment while the POST was still waiting
		// for data (go-livepeer and our server: the seq was closed).
		if consumed == 0 {
			return errSkipped, false, false
		}
		return fmt.Errorf("%w: the server ended segment %d before reading it all (%d bytes sent)", ErrSegmentDropped, w.seq, consumed), false, false
	case code == http.StatusOK:
		if w.rseq >= 0 && w.rseq != w.seq {
			return fmt.Errorf("%w: the server stored seq %d, not %d", ErrSegmentDropped, w.rseq, w.seq), false, false
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
		if consumed == 0 && !(w.pipe.isClosed() && w.pipe.err == io.EOF) {
			return fmt.Errorf("%w: %w", errSkipped, se), false, false
		}
		return fmt.Errorf("%w: %w", ErrSegmentDropped, se), false, false
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return &StatusError{Op: "publish", URL: url, Code: code, Body: readSmall(resp.Body)}, true, false
	default:
		return &StatusError{Op: "publish", URL: url, Code: code, Body: strconv.Quote(readSmall(resp.Body))}, false, false
	}
}
