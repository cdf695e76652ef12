package livepeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"time"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
)

// streamLLM is Stream for "llm/<model>": see Stream.
func (g *Gateway) streamLLM(ctx context.Context, capability string, input any, o *callOptions) (*Stream, error) {
	if err := o.refuse("built-in AI pipelines", pipelineOptions...); err != nil {
		return nil, err
	}
	if g.closed.Load() {
		return nil, ErrClosed
	}
	c, req, err := pipelineRequest(capability, input)
	if err != nil {
		return nil, err
	}
	if c.Pipeline != aipipeline.LLM {
		return nil, &ConfigError{Field: "capability", Reason: fmt.Sprintf("%s answers once: use Run (of the built-in AI pipelines only llm streams)", c.Pipeline)}
	}
	var r aipipeline.LLMRequest
	switch v := req.(type) {
	case aipipeline.LLMRequest:
		r = v
	case *aipipeline.LLMRequest:
		if v == nil {
			return nil, &aipipeline.InputError{Pipeline: c.Pipeline, Reason: "nil request"}
		}
		r = *v
	default:
		return nil, &aipipeline.InputError{Pipeline: c.Pipeline, Reason: fmt.Sprintf("input is %T, not a livepeer.LLMRequest", input)}
	}
	r.Stream = aipipeline.Ptr(true)
	sctx, cancel := context.WithTimeout(ctx, o.timeout)
	call, err := aipipeline.Prepare(sctx, c, r, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	sel, cl, err := g.pipelineCandidates(sctx, c)
	if err != nil {
		cancel()
		return nil, err
	}
	tr := g.orchTransport()
	st, err := cl.Stream(sctx, &http.Client{Transport: tr}, sel, call)
	if err != nil {
		cancel()
		tr.CloseIdleConnections()
		return nil, err
	}
	s := &Stream{llm: st, ctx: sctx, label: c.String(), idle: o.idle,
		release: func() { _ = st.Close(); cancel(); tr.CloseIdleConnections() }}
	if s.idle > 0 {
		s.timer = time.AfterFunc(s.idle, func() {
			s.idleFired.Store(true)
			_ = st.Close()
		})
		s.timer.Stop() // runs only while a read waits
	}
	return s, nil
}

// nextLLM returns the next chunk of an LLM stream as an event (Data: the
// chunk's JSON as received). The chunk with a finish_reason is the last:
// go-livepeer's orchestrator sends no [DONE] after it.
func (s *Stream) nextLLM() (Event, error) {
	if s.closed.Load() {
		// Close is final: chunks already buffered are not handed out.
		return Event{}, s.finish(fmt.Errorf("livepeer: stream %s: %w", s.label, ErrClosed))
	}
	if s.timer != nil {
		s.timer.Reset(s.idle)
	}
	_, err := s.llm.Next()
	if s.timer != nil {
		s.timer.Stop()
	}
	switch {
	case err == nil:
		return Event{Data: string(s.llm.Raw())}, nil
	case errors.Is(err, io.EOF):
		return Event{}, s.finish(nil)
	case s.idleFired.Load():
		err = fmt.Errorf("livepeer: stream %s on %s: nothing received for %v: %w", s.label, s.Orchestrator(), s.idle, ErrStreamIdle)
	case s.ctx.Err() != nil:
		err = fmt.Errorf("livepeer: stream %s: %w", s.label, s.ctx.Err())
	case s.closed.Load():
		err = fmt.Errorf("livepeer: stream %s: %w", s.label, ErrClosed)
	default:
		err = fmt.Errorf("livepeer: stream %s: %w", s.label, err)
	}
	return Event{}, s.finish(err)
}

// Pipeline returns what an "llm/<model>" stream was paid for and how it
// ended: Units and Fee, the OrchestratorInfo it was paid on, and, once it
// ended, FinishReason and Usage (token counts of the last chunk). Read the
// chunks through Events or LLMChunks, not through it. nil for a BYOC
// stream.
func (s *Stream) Pipeline() *LLMStream { return s.llm }

// LLMChunks iterates over the chunks of an "llm/<model>" stream, decoded:
// Events with each event's data as an LLMChunk (chunk.Text() is the delta
// text). The stream ends cleanly after the chunk that carries a
// finish_reason. The rules of Events apply; for a stream that is not an
// LLM stream it yields one error wrapping ErrUnexpectedResponse.
func (s *Stream) LLMChunks(ctx context.Context) iter.Seq2[*LLMChunk, error] {
	return func(yield func(*LLMChunk, error) bool) {
		if s.llm == nil {
			s.Close()
			yield(nil, fmt.Errorf("livepeer: stream %s is not an llm stream: %w", s.label, ErrUnexpectedResponse))
			return
		}
		for ev, err := range s.Events(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			var ch LLMChunk
			if err := json.Unmarshal([]byte(ev.Data), &ch); err != nil {
				yield(nil, fmt.Errorf("livepeer: stream %s: %w", s.label, err)) // decoded once already: not reached
				return
			}
			if !yield(&ch, nil) {
				return
			}
		}
	}
}
