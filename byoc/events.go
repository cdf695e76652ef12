package byoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/sse"
)

// ErrEventTooLarge: an event stream line or event is larger than the
// EventReader's bound.
var ErrEventTooLarge = sse.ErrTooLarge

// Event is one server-sent event of a job's answer.
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

// EventReader reads a BYOC job's server-sent events the way go-livepeer's
// relay writes them (byoc/job_orchestrator.go): the worker's events pass
// through; a {"balance": x} data event right before "data: [DONE]" is the
// final balance (kept, not passed on); [DONE] ends the stream; an
// "insufficient balance" event (the orchestrator debits 5 s of compute
// every 5 s) and an "error" event end it with an error. Next has one
// caller at a time; Balance and Done are safe from any goroutine.
type EventReader struct {
	rd           *sse.Reader
	capability   string
	orchestrator string

	held *sse.Event // a balance-shaped event waiting to see whether [DONE] follows
	end  error      // the end: io.EOF or the error, once reached

	mu       sync.Mutex
	balance  *big.Int
	doneSeen bool
}

// NewEventReader reads events from body (the answer of capability's job
// on orchestrator, named in errors). Lines and events larger than
// maxEventBytes end the stream with an error wrapping ErrEventTooLarge.
func NewEventReader(body io.Reader, capability, orchestrator string, maxEventBytes int) *EventReader {
	return &EventReader{rd: sse.NewReader(body, maxEventBytes), capability: capability, orchestrator: orchestrator}
}

// Next returns the next event; io.EOF at [DONE] or at the end of the body;
// an error wrapping livepeer.ErrInsufficientBalance when the orchestrator
// stopped the job for lack of credit; a *StreamError for an "error" event;
// otherwise the body's read error as it is (the caller knows whether it
// closed the body). After the end every call returns the same error.
func (r *EventReader) Next() (Event, error) {
	if r.end != nil {
		return Event{}, r.end
	}
	if r.held != nil {
		ev := *r.held
		r.held = nil
		return r.deliver(ev)
	}
	ev, err := r.read()
	if err != nil {
		return Event{}, err
	}
	if _, ok := balanceOf(ev); ok && ev.Event == "" {
		// go-livepeer sends {"balance": x} right before [DONE]: look one ahead.
		next, err := r.read()
		switch {
		case err == nil:
			r.held = &next
		case errors.Is(err, io.EOF) && r.Done():
			r.setBalance(ev)
			return Event{}, io.EOF
		}
		// Otherwise the stream ended or failed after it: ev is a plain event,
		// and the next call reports the end (read recorded it).
	}
	return r.deliver(ev)
}

// Done reports whether the stream ended with [DONE] (the job's normal end).
func (r *EventReader) Done() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.doneSeen
}

// Balance returns the last balance the stream reported in wei (the final
// {"balance": x}, or 0 after an insufficient-balance stop), or nil.
func (r *EventReader) Balance() *big.Int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.balance == nil {
		return nil
	}
	return new(big.Int).Set(r.balance)
}

func (r *EventReader) deliver(ev sse.Event) (Event, error) {
	switch ev.Event {
	case "insufficient balance":
		r.setBalance(ev)
		r.end = fmt.Errorf("byoc: stream %s on %s stopped by the orchestrator: %w", r.capability, r.orchestrator, lperr.ErrInsufficientBalance)
		return Event{}, r.end
	case "error":
		r.end = &StreamError{Capability: r.capability, Orchestrator: r.orchestrator, Event: toEvent(ev)}
		return Event{}, r.end
	}
	return toEvent(ev), nil
}

// JSON decodes the event's data into v.
func (e Event) JSON(v any) error {
	if err := json.Unmarshal([]byte(e.Data), v); err != nil {
		return fmt.Errorf("byoc: decode event data: %w", err)
	}
	return nil
}

func toEvent(ev sse.Event) Event {
	return Event{Event: ev.Event, Data: ev.Data, ID: ev.ID, Retry: ev.Retry}
}

// read returns the next raw event; [DONE] and the body's end give io.EOF.
func (r *EventReader) read() (sse.Event, error) {
	if r.end != nil {
		return sse.Event{}, r.end
	}
	ev, err := r.rd.Next()
	if err == nil && ev.Event == "" && strings.TrimSpace(ev.Data) == "[DONE]" {
		r.mu.Lock()
		r.doneSeen = true
		r.mu.Unlock()
		r.end = io.EOF
		return sse.Event{}, io.EOF
	}
	if err != nil {
		if errors.Is(err, sse.ErrTooLarge) {
			err = fmt.Errorf("byoc: stream %s on %s: %w", r.capability, r.orchestrator, err)
		}
		r.end = err
		return sse.Event{}, err
	}
	return ev, nil
}

// setBalance records the balance in ev's data. go-livepeer's relay writes
// its own lines between the worker's, so a balance line can land inside a
// worker event that had not ended yet: the data then holds the worker's
// line(s) and {"balance": x} as its last line. Every line is tried, last first.
func (r *EventReader) setBalance(ev sse.Event) {
	lines := strings.Split(ev.Data, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if b, ok := balanceOf(sse.Event{Data: lines[i]}); ok {
			r.mu.Lock()
			r.balance = b
			r.mu.Unlock()
			return
		}
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
	b := ParseBalance(v["balance"].String())
	return b, b != nil
}
