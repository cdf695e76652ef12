package livepeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// maxEventBytes bounds one event or control message.
const maxEventBytes = 1 << 20

// Control sends one control message: msg is marshalled to JSON, or sent as
// is when it is a json.RawMessage or []byte holding JSON (for example a full
// StreamDiffusion parameter set). Errors: invalid JSON, ErrClosed (or the
// session's cause) after the session ended, ctx.Err(), or the write error.
func (s *LiveSession) Control(ctx context.Context, msg any) error {
	if s.control == nil {
		return fmt.Errorf("livepeer: live session has no control channel: %w", ErrInvalidConfig)
	}
	b, err := marshalMessage(msg)
	if err != nil {
		return err
	}
	mctx, cancel := s.merge(ctx)
	defer cancel()
	if err := s.control.Write(mctx, bytes.NewReader(b)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.sessionErr(fmt.Errorf("livepeer: control message: %w", err))
	}
	return nil
}

func marshalMessage(msg any) ([]byte, error) {
	var b []byte
	switch v := msg.(type) {
	case json.RawMessage:
		b = v
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(msg); err != nil {
			return nil, fmt.Errorf("livepeer: control message: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("livepeer: control message is not valid JSON: %w", ErrInvalidConfig)
	}
	if len(b) > maxEventBytes {
		return nil, fmt.Errorf("livepeer: control message larger than %d bytes: %w", maxEventBytes, ErrInvalidConfig)
	}
	return b, nil
}

// Update changes a running stream's parameters: for a BYOC stream it is
// POST /ai/stream/update (go-livepeer forwards it to the worker's
// /stream/params); for live-video-to-video it is a control message.
// Errors: invalid JSON, ErrClosed (or the session's cause) after the
// session ended, ctx.Err(), or the orchestrator's refusal (*APIError).
func (s *LiveSession) Update(ctx context.Context, params any) error {
	if s.job.update == nil {
		return s.Control(ctx, params)
	}
	b, err := marshalMessage(params)
	if err != nil {
		return err
	}
	if s.ctx.Err() != nil {
		return s.sessionErr(ErrClosed)
	}
	mctx, cancel := s.merge(ctx)
	defer cancel()
	if err := s.job.update(mctx, b); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.sessionErr(err)
	}
	return nil
}

// keepalive sends {"keep":"alive"} on the control channel every interval.
// A control channel that is gone ends the session.
func (s *LiveSession) keepalive(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		err := s.control.Write(s.ctx, strings.NewReader(`{"keep":"alive"}`))
		if errors.Is(err, trickle.ErrStreamNotFound) || errors.Is(err, trickle.ErrEndOfStream) {
			if s.ctx.Err() == nil {
				s.end(s.endedByOrchestrator())
			}
			return
		}
	}
}
