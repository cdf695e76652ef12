package trickle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// DefaultMaxJSONMessage bounds one JSON message read by ReadJSON when its
// maxMessageSize is 0.
const DefaultMaxJSONMessage = 1 << 20

// ReadJSON iterates over the JSON messages of sub's segments. It accepts
// both framings used on trickle channels: one JSON value per segment (LV2V
// control and events, as go-livepeer and the Python SDK send them) and
// newline-delimited JSON within a segment (JSONL data channels). Empty
// segments are skipped. maxMessageSize bounds one message in bytes (0:
// DefaultMaxJSONMessage).
//
// The iteration ends without an error at the clean end of the channel
// (ErrEndOfStream). A malformed message (an error wrapping a
// *json.SyntaxError), a message over the bound (wrapping
// ErrMessageTooLarge) and skipped segments (a *SkipError, with
// SubscriberConfig.ReportSkips) are yielded and the iteration goes on with
// the next segment; a segment cut off by the network is logged and
// skipped. Any other error (ctx.Err(), the subscriber's error, one wrapping
// ErrClosed after sub.Close) is yielded once and ends it. Stopping the
// loop closes the segment being read, not sub. One iteration at a time per
// subscriber.
func ReadJSON(ctx context.Context, sub *Subscriber, maxMessageSize int) iter.Seq2[json.RawMessage, error] {
	if maxMessageSize <= 0 {
		maxMessageSize = DefaultMaxJSONMessage
	}
	return func(yield func(json.RawMessage, error) bool) {
		r := &jsonReader{sub: sub, max: maxMessageSize}
		defer r.endSegment()
		for {
			msg, err := r.next(ctx)
			switch {
			case err == nil:
				if !yield(msg, nil) {
					return
				}
			case errors.Is(err, ErrEndOfStream):
				return
			case isDecodeErr(err) || errors.Is(err, ErrSegmentsSkipped):
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

// jsonReader decodes the messages of one segment after another.
type jsonReader struct {
	sub *Subscriber
	max int
	cur *Segment
	dec *json.Decoder
	lim *limitReader
}

func (r *jsonReader) next(ctx context.Context) (json.RawMessage, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.dec == nil {
			seg, err := r.sub.Next(ctx)
			if err != nil {
				return nil, err
			}
			r.cur = seg
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
				return nil, r.lim.err
			}
			r.sub.log.Warn("trickle: JSON segment cut off; skipping it", "url", r.sub.url, "seq", seg.Seq(), "err", r.lim.err)
			continue
		default:
			return nil, fmt.Errorf("trickle: segment %d: invalid JSON: %w", seg.Seq(), err)
		}
	}
}

func (r *jsonReader) endSegment() {
	if r.cur != nil {
		_ = r.cur.Close()
		r.cur = nil
	}
	r.dec = nil
}

func isDecodeErr(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, ErrMessageTooLarge) || errors.Is(err, io.ErrUnexpectedEOF)
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
// (one value, or newline-delimited values). It is the framing ReadJSON
// applies, exposed for callers that hold segment bytes.
func DecodeJSONSegment(b []byte, maxMessage int) ([]json.RawMessage, error) {
	if maxMessage <= 0 {
		maxMessage = DefaultMaxJSONMessage
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
