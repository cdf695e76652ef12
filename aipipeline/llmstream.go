package aipipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"math/big"
	"strings"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/sse"
)

// LLMStream reads the server-sent events of a streaming LLM answer: each
// event is "data: <LLMResponse JSON>", and the stream ends after the chunk
// whose first choice has a non-empty finish_reason. go-livepeer's
// (master 176aa415ccea4f9861e0dd44e981cda17fb36f52)
// orchestrator stops there and sends no "data: [DONE]"
// (server/ai_http.go:1711-1724; its own gateway reads it the same way,
// server/ai_process.go:1204-1228). A "[DONE]" event, as OpenAI-style servers
// send, also ends the stream cleanly.
//
// Next and Chunks are not safe for concurrent use; Close may be called from
// any goroutine, and cancelling the context given to Stream has the same
// effect.
type LLMStream struct {
	Capability   Capability
	Orchestrator string
	Units        int64    // units paid and charged (max_tokens)
	Fee          *big.Rat // Units × Target.PricePerUnit in wei; nil when the price was not given
	// Info is the orchestrator's OrchestratorInfo the payment was made on
	// (Client.Stream); nil from the package-level Stream.
	Info *discovery.Info

	body      io.ReadCloser
	r         *sse.Reader
	ctx       context.Context
	stop      func() bool
	closeOnce sync.Once

	err     error // sticky: io.EOF after the last chunk, or the failure
	last    *LLMResponse
	lastRaw []byte
	finish  string
}

func newLLMStream(ctx context.Context, body io.ReadCloser, target Target, call *Call) *LLMStream {
	s := &LLMStream{Capability: call.Capability, Orchestrator: target.URL, Units: call.Units,
		Fee: Fee(call.Units, target.PricePerUnit), body: body, ctx: ctx,
		r: sse.NewReader(body, sse.DefaultMaxEventBytes)}
	s.stop = context.AfterFunc(ctx, func() { _ = body.Close() })
	return s
}

// Next returns the next chunk. After the chunk with a finish_reason it
// returns io.EOF; a stream that ends before that chunk gives an *Error
// matching ErrBadResponse (wrapping io.ErrUnexpectedEOF), as does a chunk
// that is not an LLMResponse or an {"error": ...} event; a cancelled
// context gives its error. Errors are sticky.
func (s *LLMStream) Next() (*LLMResponse, error) {
	if s.err != nil {
		return nil, s.err
	}
	ch, raw, err := s.next()
	if err != nil {
		s.err = err
		s.Close()
		return nil, err
	}
	s.last, s.lastRaw = ch, raw
	for _, c := range ch.Choices {
		if c.FinishReason != nil && *c.FinishReason != "" {
			s.finish = *c.FinishReason
			s.err = io.EOF
			s.Close()
			break
		}
	}
	return ch, nil
}

func (s *LLMStream) next() (*LLMResponse, []byte, error) {
	for {
		ev, err := s.r.Next()
		if err != nil {
			if cerr := s.ctx.Err(); cerr != nil {
				return nil, nil, cerr
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, badResponse(s.Orchestrator, s.Capability, "stream ended before a chunk with finish_reason: %w", err)
		}
		data := strings.TrimSpace(ev.Data)
		if data == "" {
			continue
		}
		if data == "[DONE]" {
			return nil, nil, io.EOF
		}
		var probe struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal([]byte(data), &probe) == nil && len(probe.Error) > 0 && string(probe.Error) != "null" {
			return nil, nil, badResponse(s.Orchestrator, s.Capability, "stream error: %s", probe.Error)
		}
		var ch LLMResponse
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			return nil, nil, badResponse(s.Orchestrator, s.Capability, "chunk is not an LLMResponse: %w", err)
		}
		return &ch, []byte(data), nil
	}
}

// Raw returns the JSON of the chunk Next returned last, as received (nil
// before the first chunk). The slice must not be modified.
func (s *LLMStream) Raw() []byte { return s.lastRaw }

// Chunks iterates over the chunks until the end of the stream; the last
// pair carries a non-nil error when the stream failed (never io.EOF).
func (s *LLMStream) Chunks() iter.Seq2[*LLMResponse, error] {
	return func(yield func(*LLMResponse, error) bool) {
		for {
			ch, err := s.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(ch, err) || err != nil {
				return
			}
		}
	}
}

// FinishReason returns the finish_reason of the last chunk, "" until the
// stream has ended cleanly.
func (s *LLMStream) FinishReason() string { return s.finish }

// Usage returns the token usage reported by the latest chunk (ai-runner
// sends running totals in every chunk), and false before the first chunk.
func (s *LLMStream) Usage() (LLMTokenUsage, bool) {
	if s.last == nil {
		return LLMTokenUsage{}, false
	}
	return s.last.Usage, true
}

// Close releases the connection; idempotent. It returns nil.
func (s *LLMStream) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		_ = s.body.Close()
	})
	return nil
}

// Text returns the text of the first choice: its delta's content in a
// streamed chunk, its message's content in a whole answer; "" when there
// is none.
func (r *LLMResponse) Text() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	switch c := r.Choices[0]; {
	case c.Delta != nil:
		return c.Delta.Content
	case c.Message != nil:
		return c.Message.Content
	}
	return ""
}
