package livepeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/byoc"
	"github.com/livepeer/livepeer-go-gateway/internal/sse"
)

// Event is one server-sent event of a Stream.
type Event struct {
	// Event is the event type; "" is the default type ("message").
	Event string
	// Data is the event's data lines joined with "\n".
	Data string
	// ID is the last event id the stream sent (ids persist across events).
	ID string
	// Retry is the last reconnection time the stream sent, 0 if none.
	Retry time.Duration
}

// JSON decodes the event's data into v.
func (e Event) JSON(v any) error {
	if err := json.Unmarshal([]byte(e.Data), v); err != nil {
		return fmt.Errorf("livepeer: decode event data: %w", err)
	}
	return nil
}

// StreamError is an "error" event sent by the job: the worker reported a
// failure in the stream. errors.Is(err, ErrJobFailed) matches it. The
// stream ends with it.
type StreamError struct {
	Capability   string
	Orchestrator string
	Event        Event
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("livepeer: stream %s on %s: error event: %s", e.Capability, e.Orchestrator, e.Event.Data)
}

// Unwrap returns ErrJobFailed.
func (e *StreamError) Unwrap() error { return ErrJobFailed }

// Stream is the server-sent event answer of a BYOC job. Read it with
// Events (or Next); it ends at the worker's "data: [DONE]" (the connection
// is then closed: go-livepeer would otherwise keep it open until the job's
// timeout), at the end of the body, on an error, or when Close is called
// or the Stream's context ends. A Stream has one reader: Events and Next
// must not be used from several goroutines at once; Close, Balance and Err
// are safe from any goroutine.
type Stream struct {
	a     *acceptedJob
	rd    *sse.Reader
	ctx   context.Context
	idle  time.Duration
	timer *time.Timer

	idleFired atomic.Bool
	closed    atomic.Bool
	closeOnce sync.Once

	held     *sse.Event // a balance-shaped event waiting to see whether [DONE] follows
	done     bool       // no more events
	doneSeen bool       // the stream ended with [DONE]

	mu      sync.Mutex
	balance *big.Int
	err     error
}

// Stream sends one BYOC job, like Run, and returns its answer as a stream
// of events. The job's failures come back from Stream itself, before any
// event: the same errors as Run, and an error wrapping
// ErrUnexpectedResponse (with the body) when the worker answered a plain
// body. Nothing is retried once Stream has returned.
//
// The stream stops when ctx ends, when Close is called, and when nothing
// arrives for the idle timeout (WithIdleTimeout, default
// DefaultStreamIdleTimeout; keepalive comments count), which gives
// ErrStreamIdle. An "insufficient balance" event from the orchestrator
// (go-livepeer debits 5 s of compute every 5 s) ends it with an error
// wrapping ErrInsufficientBalance; an "error" event with a *StreamError;
// other event types are passed through. The orchestrator's final
// {"balance": x} event is not passed on: see Balance. Always Close the
// Stream (Events closes it when the loop ends). Safe for concurrent use of
// different Streams.
func (g *Gateway) Stream(ctx context.Context, capability string, input any, opts ...RunOption) (*Stream, error) {
	o := newJobOptions(opts)
	a, err := g.submitJob(ctx, capability, input, o, "text/event-stream")
	if err != nil {
		return nil, err
	}
	ct := a.resp.Header.Get("Content-Type")
	if !strings.Contains(ct, "text/event-stream") {
		body, _ := io.ReadAll(io.LimitReader(a.resp.Body, 4<<10))
		a.release()
		return nil, fmt.Errorf("livepeer: job %s on %s answered %q, not server-sent events (use Run): %s: %w", a.label, a.info.Addr, ct, strings.TrimSpace(string(body)), ErrUnexpectedResponse)
	}
	s := &Stream{a: a, ctx: ctx, idle: o.idle, balance: parseBalance(a.resp.Header.Get(byoc.HeaderPaymentBalance))}
	var body io.Reader = a.resp.Body
	if s.idle > 0 {
		s.timer = time.AfterFunc(s.idle, func() {
			s.idleFired.Store(true)
			a.cancel()
		})
		s.timer.Stop() // runs only while a read waits
		body = &idleReader{r: body, s: s}
	}
	s.rd = sse.NewReader(body, o.maxEventBytes)
	return s, nil
}

// idleReader runs the idle timer while a read waits for the network, so
// time the caller spends between events does not count.
type idleReader struct {
	r io.Reader
	s *Stream
}

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.s.timer.Reset(ir.s.idle)
	n, err := ir.r.Read(p)
	ir.s.timer.Stop()
	return n, err
}

// Orchestrator returns the address of the orchestrator running the job.
func (s *Stream) Orchestrator() string { return s.a.info.Addr }

// Header returns the answer's headers.
func (s *Stream) Header() http.Header { return s.a.resp.Header }

// Balance returns the payer's balance for the capability in wei: the
// orchestrator's final {"balance": x} once the stream reached [DONE] (0
// after an insufficient-balance stop), before that the
// Livepeer-Payment-Balance header; nil when the orchestrator sent neither.
func (s *Stream) Balance() *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.balance == nil {
		return nil
	}
	return new(big.Int).Set(s.balance)
}

// Err returns the error that ended the stream, nil while it runs or after
// a normal end.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops the stream and closes its connection (the orchestrator sees
// the client leave). It is idempotent, safe from any goroutine, and
// returns nil.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.timer != nil {
			s.timer.Stop()
		}
		s.a.release()
	})
	return nil
}

// Events returns an iterator over the stream's events:
//
//	for ev, err := range st.Events() {
//		if err != nil { ... ; break }
//		fmt.Println(ev.Data)
//	}
//
// It yields each event with a nil error; on failure it yields one zero
// Event with the error and stops. A normal end ([DONE] or end of body)
// yields nothing more. Leaving the loop early, or its end, closes the
// Stream.
func (s *Stream) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		defer s.Close()
		for {
			ev, err := s.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// Next returns the next event, io.EOF at a normal end, or the error that
// ended the stream (the same error on every later call). It does not close
// the Stream at the end; Close does.
func (s *Stream) Next() (Event, error) {
	if s.done {
		if err := s.Err(); err != nil {
			return Event{}, err
		}
		return Event{}, io.EOF
	}
	if s.held != nil {
		ev := *s.held
		s.held = nil
		return s.deliver(ev)
	}
	ev, err := s.read()
	if err != nil {
		return Event{}, err
	}
	if _, ok := balanceOf(ev); ok && ev.Event == "" {
		// go-livepeer sends {"balance": x} right before [DONE]: look one ahead.
		next, err := s.read()
		switch {
		case err == nil:
			s.held = &next
		case errors.Is(err, io.EOF) && s.doneSeen:
			s.setBalance(ev)
			return Event{}, io.EOF
		}
		// Otherwise the stream ended or failed after it: ev is a plain event,
		// and the next call reports the end.
	}
	return s.deliver(ev)
}

func (s *Stream) deliver(ev sse.Event) (Event, error) {
	switch ev.Event {
	case "insufficient balance":
		s.setBalance(ev)
		return Event{}, s.fail(fmt.Errorf("livepeer: stream %s on %s stopped by the orchestrator: %w", s.a.label, s.a.info.Addr, ErrInsufficientBalance))
	case "error":
		return Event{}, s.fail(&StreamError{Capability: s.a.label, Orchestrator: s.a.info.Addr, Event: toEvent(ev)})
	}
	return toEvent(ev), nil
}

func toEvent(ev sse.Event) Event {
	return Event{Event: ev.Event, Data: ev.Data, ID: ev.ID, Retry: ev.Retry}
}

// read returns the next raw event; [DONE] and the body's end give io.EOF
// (and close the connection), failures are mapped and recorded.
func (s *Stream) read() (sse.Event, error) {
	if s.done {
		if err := s.Err(); err != nil {
			return sse.Event{}, err
		}
		return sse.Event{}, io.EOF
	}
	ev, err := s.rd.Next()
	if err == nil && ev.Event == "" && strings.TrimSpace(ev.Data) == "[DONE]" {
		s.done, s.doneSeen = true, true
		s.Close()
		return sse.Event{}, io.EOF
	}
	if err == nil {
		return ev, nil
	}
	s.done = true
	// A read cut short by Close, ctx or the idle timer may end in a plain
	// EOF (HTTP/1.1 bodies): that is not the job's end.
	if errors.Is(err, io.EOF) && !s.closed.Load() && !s.idleFired.Load() && s.ctx.Err() == nil {
		s.Close()
		return sse.Event{}, io.EOF
	}
	return sse.Event{}, s.fail(s.mapErr(err))
}

func (s *Stream) mapErr(err error) error {
	switch {
	case s.idleFired.Load():
		return fmt.Errorf("livepeer: stream %s on %s: nothing received for %v: %w", s.a.label, s.a.info.Addr, s.idle, ErrStreamIdle)
	case s.ctx.Err() != nil:
		return fmt.Errorf("livepeer: stream %s: %w", s.a.label, s.ctx.Err())
	case s.closed.Load():
		return fmt.Errorf("livepeer: stream %s: %w", s.a.label, ErrClosed)
	case errors.Is(err, sse.ErrTooLarge):
		return fmt.Errorf("livepeer: stream %s on %s: %w (see WithMaxEventBytes)", s.a.label, s.a.info.Addr, err)
	}
	return fmt.Errorf("livepeer: stream %s on %s: %w: %w", s.a.label, s.a.info.Addr, ErrOrchestratorUnavailable, err)
}

// fail records err as the stream's end, closes it and returns err.
func (s *Stream) fail(err error) error {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	err = s.err
	s.mu.Unlock()
	s.done = true
	s.Close()
	return err
}

// setBalance records the balance in ev's data. go-livepeer's relay writes
// its own lines between the worker's, so a balance line can land inside a
// worker event that had not ended yet: the data then holds the worker's
// line(s) and {"balance": x} as its last line. Every line is tried, last first.
func (s *Stream) setBalance(ev sse.Event) {
	lines := strings.Split(ev.Data, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		b, ok := balanceOf(sse.Event{Data: lines[i]})
		if !ok {
			continue
		}
		s.mu.Lock()
		s.balance = b
		s.mu.Unlock()
	}
}

// balanceOf recognises go-livepeer's {"balance": <number>} event.
func balanceOf(ev sse.Event) (*big.Int, bool) {
	d := strings.TrimSpace(ev.Data)
	if !strings.HasPrefix(d, "{\"balance\"") {
		return nil, false
	}
	var v map[string]json.Number
	dec := json.NewDecoder(strings.NewReader(d))
	dec.UseNumber()
	if dec.Decode(&v) != nil || len(v) != 1 {
		return nil, false
	}
	b := parseBalance(v["balance"].String())
	return b, b != nil
}
