package livepeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// eventBuffer is how many events a session keeps for a slow reader; older
// ones are dropped first.
const eventBuffer = 256

// LiveEvent is one message from a session's events channel. Data is the
// event object itself: ai-runner's {"queue_event_type", "event"} wrapper is
// removed, as go-livepeer's gateway does.
type LiveEvent struct {
	Type           string          // the event's "type" field, if any
	QueueEventType string          // the wrapper's queue_event_type, if any
	Data           json.RawMessage // the event JSON object
}

// JSON decodes the event into v.
func (e LiveEvent) JSON(v any) error { return json.Unmarshal(e.Data, v) }

// Events returns the session's events, in order, from the start of the
// session (up to 256 are kept for a slow reader, older ones dropped). The
// iterator ends when the events channel ends; if the session ended with a
// cause, that error is yielded last. It yields ctx.Err() when ctx is
// cancelled. Events is meant for one consumer at a time.
func (s *LiveSession) Events(ctx context.Context) iter.Seq2[LiveEvent, error] {
	return func(yield func(LiveEvent, error) bool) {
		for {
			select {
			case ev, ok := <-s.events:
				if !ok {
					if cause := s.Err(); cause != nil {
						yield(LiveEvent{}, cause)
					}
					return
				}
				if !yield(ev, nil) {
					return
				}
			case <-ctx.Done():
				yield(LiveEvent{}, ctx.Err())
				return
			}
		}
	}
}

// readEvents reads the events channel into the buffer until it ends. The
// end of the channel ends the session (the orchestrator closes every
// channel together); a failure to reach it ends the session with
// ErrOrchestratorUnavailable.
func (s *LiveSession) readEvents(sub *trickle.Subscriber) {
	defer close(s.events)
	defer sub.Close()
	for {
		seg, err := sub.Next(s.ctx)
		if err != nil {
			switch {
			case s.ctx.Err() != nil:
			case errors.Is(err, trickle.ErrEndOfStream), errors.Is(err, trickle.ErrStreamNotFound):
				s.end(s.endedByOrchestrator())
			default:
				s.end(fmt.Errorf("livepeer: live events from %s: %w: %w", s.info.Orchestrator, ErrOrchestratorUnavailable, err))
			}
			return
		}
		b, rerr := io.ReadAll(io.LimitReader(seg, maxEventBytes))
		seg.Close()
		if rerr != nil || len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		ev, ok := parseEvent(b)
		if !ok {
			s.log.Debug("live: ignoring malformed event", "bytes", len(b))
			continue
		}
		for {
			select {
			case s.events <- ev:
			default:
				select { // full: drop the oldest
				case <-s.events:
				default:
				}
				continue
			}
			break
		}
	}
}

// endedByOrchestrator is the cause recorded when the orchestrator closed
// the stream: nil after EndInput (expected), else ErrSessionEnded.
func (s *LiveSession) endedByOrchestrator() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inputEnded {
		return nil
	}
	return ErrSessionEnded
}

// parseEvent unwraps {"queue_event_type": ..., "event": {...}} or takes a
// bare JSON object.
func parseEvent(b []byte) (LiveEvent, bool) {
	var w struct {
		QueueEventType string          `json:"queue_event_type"`
		Event          json.RawMessage `json:"event"`
	}
	if json.Unmarshal(b, &w) != nil {
		return LiveEvent{}, false
	}
	data := w.Event
	if len(data) == 0 || string(data) == "null" {
		data = b
	}
	var typ struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &typ) != nil {
		return LiveEvent{}, false
	}
	return LiveEvent{Type: typ.Type, QueueEventType: w.QueueEventType, Data: bytes.Clone(data)}, true
}
