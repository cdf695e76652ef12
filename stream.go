package livepeer

import (
	"context"
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

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/byoc"
	"github.com/livepeer/livepeer-go-gateway/internal/sse"
)

// Event is one server-sent event of a Stream (Event, Data, ID, Retry;
// Event.JSON decodes Data).
type Event = byoc.Event

// Stream is the server-sent-event answer of a job. Read it with Events; it
// ends at the worker's "data: [DONE]" (the connection is then closed:
// go-livepeer would otherwise keep it open until the job's timeout), at the
// end of the body, on an error, or when Close is called or a context ends.
// A Stream has one reader: Events must not be iterated from several
// goroutines at once; Close, Balance, Err, Orchestrator and Header are safe
// from any goroutine.
type Stream struct {
	a       *byoc.Answer
	release func()
	rd      *byoc.EventReader
	ctx     context.Context // the Stream call's
	label   string
	idle    time.Duration
	timer   *time.Timer
	header  *big.Int              // Livepeer-Payment-Balance of the answer
	llm     *aipipeline.LLMStream // an "llm/<model>" stream (stream_llm.go); a and rd are nil then

	idleFired atomic.Bool
	closed    atomic.Bool
	closeOnce sync.Once

	mu  sync.Mutex
	err error
	end bool // no more events
}

// Stream sends one job, like Run, and returns its answer as a stream of
// events. The job's failures come back from Stream itself, before any
// event: the same errors as Run, and an error wrapping
// ErrUnexpectedResponse (with the body) when the worker answered a plain
// body. Nothing is retried once Stream has returned.
//
// The stream stops when ctx ends, when Close is called, and when nothing
// arrives for the idle timeout (WithIdleTimeout, default
// DefaultStreamIdleTimeout; keepalive comments count), which gives
// ErrStreamIdle. An "insufficient balance" event from the orchestrator ends
// it with an error wrapping ErrInsufficientBalance; an "error" event with a
// *StreamError; other event types are passed through. The orchestrator's
// final {"balance": x} event is not passed on: see Balance. Options: those
// of Run except WithMaxResponseBytes, plus WithIdleTimeout and
// WithMaxEventBytes. Always Close the Stream (Events closes it when the
// loop ends).
//
// For "llm/<model>" (a built-in AI pipeline) input is an LLMRequest (sent
// with stream: true), paid and failed over as Run does. Each event is one
// chunk: Event.Data is the chunk's JSON, which LLMChunks decodes
// (LLMChunk.Text is the delta text); the stream ends cleanly after the
// chunk with a finish_reason (go-livepeer sends no [DONE]); Pipeline gives
// the units, fee, finish reason and token usage. WithTimeout bounds the
// whole stream (default DefaultJobTimeout), WithIdleTimeout the wait for
// each chunk.
func (g *Gateway) Stream(ctx context.Context, capability string, input any, opts ...CallOption) (*Stream, error) {
	o, err := resolveOptions(verbStream, opts)
	if err != nil {
		return nil, err
	}
	if isPipeline(capability) {
		return g.streamLLM(ctx, capability, input, o)
	}
	a, done, err := g.submitBYOC(ctx, capability, input, o, "text/event-stream")
	if err != nil {
		return nil, err
	}
	ct := a.Response.Header.Get("Content-Type")
	if !strings.Contains(ct, "text/event-stream") {
		body, _ := io.ReadAll(io.LimitReader(a.Response.Body, 4<<10))
		done()
		return nil, fmt.Errorf("livepeer: job %s on %s answered %q, not server-sent events (use Run): %s: %w", capability, a.Orchestrator.Addr, ct, strings.TrimSpace(string(body)), ErrUnexpectedResponse)
	}
	s := &Stream{a: a, release: done, ctx: ctx, label: strings.TrimPrefix(capability, "byoc/"), idle: o.idle,
		header: byoc.ParseBalance(a.Response.Header.Get(byoc.HeaderPaymentBalance))}
	var body io.Reader = a.Response.Body
	if s.idle > 0 {
		s.timer = time.AfterFunc(s.idle, func() {
			s.idleFired.Store(true)
			_ = a.Close()
		})
		s.timer.Stop() // runs only while a read waits
		body = &idleReader{r: body, s: s}
	}
	s.rd = byoc.NewEventReader(body, s.label, a.Orchestrator.Addr, o.maxEventBytes)
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
func (s *Stream) Orchestrator() string {
	if s.llm != nil {
		return s.llm.Info.Addr
	}
	return s.a.Orchestrator.Addr
}

// Header returns the answer's headers (empty for an LLM stream).
func (s *Stream) Header() http.Header {
	if s.a == nil {
		return http.Header{}
	}
	return s.a.Response.Header
}

// Balance returns the payer's balance for the capability in wei: the
// orchestrator's final {"balance": x} once the stream reached [DONE] (0
// after an insufficient-balance stop), before that the
// Livepeer-Payment-Balance header; nil when the orchestrator sent neither.
func (s *Stream) Balance() *big.Int {
	if s.rd == nil {
		return nil
	}
	if b := s.rd.Balance(); b != nil {
		return b
	}
	if s.header == nil {
		return nil
	}
	return new(big.Int).Set(s.header)
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
		s.release()
	})
	return nil
}

// Events returns an iterator over the stream's events:
//
//	for ev, err := range st.Events(ctx) {
//		if err != nil { ... ; break }
//		fmt.Println(ev.Data)
//	}
//
// It yields each event with a nil error; on failure it yields one zero
// Event with the error and stops; when ctx ends it yields ctx.Err() (and
// the Stream is closed: its connection is what the wait is on). A normal
// end ([DONE] or end of body) yields nothing more. Leaving the loop early,
// or its end, closes the Stream.
func (s *Stream) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		defer s.Close()
		stop := context.AfterFunc(ctx, func() { _ = s.Close() })
		defer stop()
		for {
			ev, err := s.next()
			if err != nil && ctx.Err() != nil {
				yield(Event{}, ctx.Err())
				return
			}
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

// next returns the next event, io.EOF at a normal end, or the error that
// ended the stream (the same error on every later call).
func (s *Stream) next() (Event, error) {
	s.mu.Lock()
	end, err := s.end, s.err
	s.mu.Unlock()
	if end {
		if err != nil {
			return Event{}, err
		}
		return Event{}, io.EOF
	}
	if s.llm != nil {
		return s.nextLLM()
	}
	ev, err := s.rd.Next()
	if err == nil {
		return ev, nil
	}
	// A read cut short by Close, ctx or the idle timer may end in a plain
	// EOF (HTTP/1.1 bodies): that is not the job's end, unless [DONE] came.
	if errors.Is(err, io.EOF) && (s.rd.Done() || (!s.closed.Load() && !s.idleFired.Load() && s.ctx.Err() == nil)) {
		return Event{}, s.finish(nil)
	}
	return Event{}, s.finish(s.mapErr(err))
}

func (s *Stream) mapErr(err error) error {
	var se *byoc.StreamError
	switch {
	case errors.Is(err, ErrInsufficientBalance), errors.As(err, &se):
		return err // the job's own end, already described
	case s.idleFired.Load():
		return fmt.Errorf("livepeer: stream %s on %s: nothing received for %v: %w", s.label, s.Orchestrator(), s.idle, ErrStreamIdle)
	case s.ctx.Err() != nil:
		return fmt.Errorf("livepeer: stream %s: %w", s.label, s.ctx.Err())
	case s.closed.Load():
		return fmt.Errorf("livepeer: stream %s: %w", s.label, ErrClosed)
	case errors.Is(err, sse.ErrTooLarge):
		return fmt.Errorf("livepeer: stream %s on %s: %w (see WithMaxEventBytes)", s.label, s.Orchestrator(), err)
	}
	return fmt.Errorf("livepeer: stream %s on %s: %w: %w", s.label, s.Orchestrator(), ErrOrchestratorUnavailable, err)
}

// finish records the stream's end (err nil: a normal end), closes it and
// returns io.EOF for a normal end or the recorded error.
func (s *Stream) finish(err error) error {
	s.mu.Lock()
	if !s.end {
		s.end, s.err = true, err
	}
	err = s.err
	s.mu.Unlock()
	s.Close()
	if err == nil {
		return io.EOF
	}
	return err
}
