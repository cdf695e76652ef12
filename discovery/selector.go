package discovery

import (
	"context"
	"fmt"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Selector hands out ranked candidates one at a time, for a verb that
// tries orchestrators in turn until one accepts the job. Next returns the
// next candidate; Reject records why a candidate failed. When the
// candidates run out, Next returns a *livepeer.NoOrchestratorError listing every
// rejection, those made during discovery included. A Selector is safe for
// concurrent use; each candidate is handed out once.
type Selector struct {
	capability string

	mu         sync.Mutex
	queue      []*Info
	next       int
	rejections []Rejection
}

// NewSelector returns a Selector over candidates (in order) for capability
// (used in error messages), starting with the given rejections (those made
// while discovering). The slices are copied.
func NewSelector(capability string, candidates []*Info, rejections []Rejection) *Selector {
	return &Selector{
		capability: capability,
		queue:      append([]*Info(nil), candidates...),
		rejections: append([]Rejection(nil), rejections...),
	}
}

// Next returns the next candidate. It returns ctx.Err() when ctx has ended,
// and a *livepeer.NoOrchestratorError (errors.Is(err, livepeer.ErrNoOrchestrator); the
// rejection causes are reachable with errors.Is/As) when no candidate is
// left.
func (s *Selector) Next(ctx context.Context) (*Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next < len(s.queue) {
		in := s.queue[s.next]
		s.next++
		return in, nil
	}
	reason := "no orchestrator found"
	switch {
	case len(s.queue) > 0:
		reason = fmt.Sprintf("all %d candidates failed", len(s.queue))
	case len(s.rejections) > 0:
		reason = fmt.Sprintf("all %d orchestrators were rejected", len(s.rejections))
	}
	return nil, &lperr.NoOrchestratorError{Capability: s.capability, Reason: reason,
		Rejections: append([]Rejection(nil), s.rejections...)}
}

// Reject records that info could not be used, and why. A nil info is
// ignored.
func (s *Selector) Reject(info *Info, err error) {
	if info == nil {
		return
	}
	s.mu.Lock()
	s.rejections = append(s.rejections, Rejection{Orchestrator: info.Addr, Err: err})
	s.mu.Unlock()
}

// Rejections returns a copy of the rejections so far.
func (s *Selector) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rejection(nil), s.rejections...)
}

// Remaining returns how many candidates Next has not handed out yet.
func (s *Selector) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) - s.next
}

// Candidates returns a copy of all candidates, in order.
func (s *Selector) Candidates() []*Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Info(nil), s.queue...)
}
