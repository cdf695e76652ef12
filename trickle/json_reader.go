package trickle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"sync"
)

// JSONReaderConfig configures a JSONReader.
type JSONReaderConfig struct {
	// MaxMessageSize bounds one JSON message (default 1 MiB).
	MaxMessageSize int
	// Logger receives logs; default discards.
	Logger *slog.Logger
}

// JSONReader decodes JSON messages from a subscriber's segments. It accepts
// both framings used on trickle channels: one JSON value per segment (LV2V
// control and events, as go-livepeer and the Python SDK send them) and
// newline-delimited JSON within a segment (JSONL data channels). Empty
// segments are skipped. A segment cut off by the network is dropped and
// reading goes on with the next one. Next is not safe for concurrent use;
// Close is.
type JSONReader struct {
	sub *Subscriber
	max int
	log *slog.Logger

	mu  sync.Mutex // guards cur against Close
	cur *Segment
	dec *json.Decoder
	lim *limitReader
}

// NewJSONReader reads JSON messages from sub. Closing the reader closes sub.
func NewJSONReader(sub *Subscriber, cfg JSONReaderConfig) *JSONReader {
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &JSONReader{sub: sub, max: cfg.MaxMessageSize, log: cfg.Logger}
}

// Next returns the next message. It returns ErrEndOfStream at the clean end
// of the channel, ErrClosed after Close, ctx.Err() (the segment being read is
// then abandoned), a *json.SyntaxError-wrapping error for a malformed
// message (the rest of that segment is skipped), an error wrapping
// ErrMessageTooLarge, or the subscriber's error.
func (r *JSONReader) Next(ctx context.Context) (json.RawMessage, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.dec == nil {
			seg, err := r.sub.Next(ctx)
			if err != nil {
				return nil, err
			}
			r.mu.Lock()
			r.cur = seg
			r.mu.Unlock()
			r.lim = &limitReader{r: seg}
			r.dec = json.NewDecoder(r.lim)
		}
		r.lim.limit = r.dec.InputOffset() + int64(r.max) + 64
		var msg json.RawMessage
		seg := r.cur
		stop := context.AfterFunc(ctx, func() { _ = seg.Close() })
		err := r.dec.Decode(&msg)
		stop()
		if err == nil {
			return msg, nil
		}
		r.endSegment()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err == io.EOF:
			continue // end of segment (or an empty one)
		case errors.Is(err, ErrMessageTooLarge):
			return nil, fmt.Errorf("trickle: segment %d: %w (limit %d bytes)", seg.Seq(), ErrMessageTooLarge, r.max)
		case r.lim.err != nil && r.lim.err != io.EOF:
			if errors.Is(r.lim.err, ErrClosed) {
				return nil, ErrClosed
			}
			r.log.Warn("trickle: JSON segment cut off; skipping it", "seq", seg.Seq(), "err", r.lim.err)
			continue
		default:
			return nil, fmt.Errorf("trickle: segment %d: invalid JSON: %w", seg.Seq(), err)
		}
	}
}

func (r *JSONReader) endSegment() {
	r.mu.Lock()
	if r.cur != nil {
		_ = r.cur.Close()
	}
	r.mu.Unlock()
	r.dec = nil
}

// All iterates over the messages until the end of the channel (which ends
// the iteration without an error), ctx's end or Close. Decode errors are
// yielded and iteration goes on; other errors are yielded once and end it.
func (r *JSONReader) All(ctx context.Context) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		for {
			msg, err := r.Next(ctx)
			switch {
			case err == nil:
				if !yield(msg, nil) {
					return
				}
			case errors.Is(err, ErrEndOfStream):
				return
			case isDecodeErr(err):
				if !yield(nil, err) {
					return
				}
			default:
				yield(nil, err)
				return
			}
		}
	}
}

func isDecodeErr(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, ErrMessageTooLarge) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Close closes the segment being read and the subscriber. Idempotent.
func (r *JSONReader) Close() error {
	r.mu.Lock()
	if r.cur != nil {
		_ = r.cur.Close()
	}
	r.mu.Unlock()
	return r.sub.Close()
}

// ReadJSON iterates over the JSON messages of sub (see JSONReader.All) with
// the default configuration. It does not close sub.
func ReadJSON(ctx context.Context, sub *Subscriber) iter.Seq2[json.RawMessage, error] {
	return NewJSONReader(sub, JSONReaderConfig{}).All(ctx)
}

// limitReader fails with ErrMessageTooLarge past limit bytes, and records
// the underlying reader's error.
type limitReader struct {
	r     io.Reader
	n     int64
	limit int64
	err   error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n >= l.limit {
		return 0, ErrMessageTooLarge
	}
	if rem := l.limit - l.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if err != nil {
		l.err = err
	}
	return n, err
}

// DecodeJSONSegment splits one complete segment body into JSON messages
// (one value, or newline-delimited values). It is the framing JSONReader
// applies, exposed for callers that hold segment bytes.
func DecodeJSONSegment(b []byte, maxMessage int) ([]json.RawMessage, error) {
	if maxMessage <= 0 {
		maxMessage = 1 << 20
	}
	lim := &limitReader{r: bytes.NewReader(b)}
	dec := json.NewDecoder(lim)
	var out []json.RawMessage
	for {
		lim.limit = dec.InputOffset() + int64(maxMessage) + 64
		var m json.RawMessage
		err := dec.Decode(&m)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}
