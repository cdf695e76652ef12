package liverunner

import (
	"context"
	"fmt"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Candidates hands out the runners to try, best first, and records why one
// was not used. *Selector implements it.
type Candidates interface {
	Next(ctx context.Context) (Runner, error)
	Reject(r Runner, err error)
}

// Selector hands out ranked runners one at a time, for calls that try
// runners in turn until one accepts (a reservation reserves capacity, so
// runners are tried one after the other, never at once). When they run
// out, Next returns a *livepeer.NoOrchestratorError listing every
// rejection, those made during discovery included (errors.Is
// livepeer.ErrNoOrchestrator; errors.As reaches the list). Safe for
// concurrent use; each runner is handed out once.
type Selector struct {
	app string

	mu         sync.Mutex
	queue      []Runner
	next       int
	rejections []Rejection
}

// NewSelector returns a Selector over runners (in order) for app (used in
// error messages), starting with the given rejections. The slices are copied.
func NewSelector(app string, runners []Runner, rejections []Rejection) *Selector {
	return &Selector{app: app, queue: append([]Runner(nil), runners...), rejections: append([]Rejection(nil), rejections...)}
}

// Next returns the next runner, ctx.Err() when ctx has ended, or the
// *livepeer.NoOrchestratorError once none is left.
func (s *Selector) Next(ctx context.Context) (Runner, error) {
	if err := ctx.Err(); err != nil {
		return Runner{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next < len(s.queue) {
		r := s.queue[s.next]
		s.next++
		return r, nil
	}
	reason := "no live runner found"
	switch {
	case len(s.queue) > 0:
		reason = fmt.Sprintf("all %d runners failed", len(s.queue))
	case len(s.rejections) > 0:
		reason = fmt.Sprintf("all %d runners or orchestrators were rejected", len(s.rejections))
	}
	return Runner{}, &lperr.NoOrchestratorError{Capability: s.app, Reason: reason, Rejections: append([]Rejection(nil), s.rejections...)}
}

// Reject records that r could not be used, and why.
func (s *Selector) Reject(r Runner, err error) {
	s.mu.Lock()
	s.rejections = append(s.rejections, Rejection{Orchestrator: r.URL, Err: err})
	s.mu.Unlock()
}

// Rejections returns a copy of the rejections so far.
func (s *Selector) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rejection(nil), s.rejections...)
}

// Remaining returns how many runners Next has not handed out yet.
func (s *Selector) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) - s.next
}

// Discover asks src for runners and ranks them with f (Rank): the runners,
// best first, and every rejection (orchestrators that did not answer,
// invalid records, runners the filter left out). The error is src's.
func Discover(ctx context.Context, src Source, f Filter) ([]Runner, []Rejection, error) {
	all, rej, err := src.Runners(ctx, f.App)
	if err != nil {
		return nil, nil, err
	}
	ranked, filtered := Rank(all, f)
	return ranked, append(rej, filtered...), nil
}

// Select is Discover wrapped in a Selector. With no runner left it returns
// the *livepeer.NoOrchestratorError at once.
func Select(ctx context.Context, src Source, f Filter) (*Selector, error) {
	ranked, rej, err := Discover(ctx, src, f)
	if err != nil {
		return nil, err
	}
	label := f.App
	if label == "" {
		label = "live runners"
	}
	if len(ranked) == 0 {
		return nil, &lperr.NoOrchestratorError{Capability: label,
			Reason: fmt.Sprintf("%s lists no matching live runner", src), Rejections: rej}
	}
	return NewSelector(label, ranked, rej), nil
}
