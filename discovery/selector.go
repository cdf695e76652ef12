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
//
// A Selector from Pool.Select reads the pool as it goes: Next hands out
// the best candidate not yet handed out as the pool ranks it at that
// moment (so answers that arrived after Select join in, and an
// orchestrator demoted meanwhile moves back), never one whose answer is
// due for a refresh or whose ticket params another caller took (it waits
// for the refresh instead, when nothing else is left), and waits for
// answers still pending before giving up. What it hands out for a
// capability other than BYOC is claimed (Pool.Claim). Reject also reports
// the failure to the pool (Pool.Report). A Selector from
// NewSelector hands out its fixed list.
type Selector struct {
	capability string

	mu         sync.Mutex
	queue      []*Info // NewSelector's candidates
	next       int
	rejections []Rejection

	pool   *Pool   // nil: a fixed list
	set    *capSet // the pool's set for the capability
	handed map[string]bool
	order  []*Info // handed out so far
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

func newPoolSelector(p *Pool, s *capSet) *Selector {
	return &Selector{capability: s.label, pool: p, set: s, handed: map[string]bool{}}
}

// Next returns the next candidate. It returns ctx.Err() when ctx has ended,
// and a *livepeer.NoOrchestratorError (errors.Is(err, livepeer.ErrNoOrchestrator); the
// rejection causes are reachable with errors.Is/As) when no candidate is
// left. A pool Selector may wait for answers still pending (each bounded by
// the Client's timeout); livepeer.ErrClosed after the pool's Close.
func (s *Selector) Next(ctx context.Context) (*Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.pool != nil {
		return s.nextPooled(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next < len(s.queue) {
		in := s.queue[s.next]
		s.next++
		return in, nil
	}
	return nil, s.exhaustedLocked(len(s.queue), nil)
}

func (s *Selector) nextPooled(ctx context.Context) (*Info, error) {
	for {
		s.mu.Lock()
		p := s.pool
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			s.mu.Unlock()
			return nil, lperr.ErrClosed
		}
		ranked, rejections, st := p.snapshotLocked(s.set, s.handed)
		wait := s.set.changed
		if len(ranked) > 0 {
			in := ranked[0]
			if w := s.set.want; w == nil || !w.IsBYOC() {
				p.claimLocked(s.set, s.set.entries[in.Addr], in)
			}
			p.mu.Unlock()
			s.handed[in.Addr] = true
			s.order = append(s.order, in)
			s.mu.Unlock()
			return in, nil
		}
		p.mu.Unlock()
		if !st.awaited && !st.probing {
			err := s.exhaustedLocked(len(s.order), rejections)
			s.mu.Unlock()
			return nil, err
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// exhaustedLocked is the error once no candidate is left: the Selector's
// rejections, then the pool's for orchestrators not rejected here.
func (s *Selector) exhaustedLocked(tried int, poolRejections []Rejection) error {
	all := append([]Rejection(nil), s.rejections...)
	seen := make(map[string]bool, len(all))
	for _, r := range all {
		seen[r.Orchestrator] = true
	}
	for _, r := range poolRejections {
		if !seen[r.Orchestrator] {
			all = append(all, r)
		}
	}
	if tried == 0 && s.pool != nil && len(all) > 0 {
		return noneQualified(s.capability, all)
	}
	reason := "no orchestrator found"
	switch {
	case tried > 0:
		reason = fmt.Sprintf("all %d candidates failed", tried)
	case len(all) > 0:
		reason = fmt.Sprintf("all %d orchestrators were rejected", len(all))
	}
	return &lperr.NoOrchestratorError{Capability: s.capability, Reason: reason, Rejections: all}
}

// Reject records that info could not be used, and why; a pool Selector
// reports it to the pool too (Pool.Report). A nil info is ignored.
func (s *Selector) Reject(info *Info, err error) {
	if info == nil {
		return
	}
	s.mu.Lock()
	s.rejections = append(s.rejections, Rejection{Orchestrator: info.Addr, Err: err})
	s.mu.Unlock()
	if s.pool != nil {
		s.pool.Report(info, err)
	}
}

// Rejections returns a copy of the rejections so far: those recorded by
// Reject, then (for a pool Selector) the pool's current ones for the
// orchestrators not handed out: down, not answering yet or filtered out.
func (s *Selector) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pool == nil {
		return append([]Rejection(nil), s.rejections...)
	}
	s.pool.mu.Lock()
	_, rejections, _ := s.pool.snapshotLocked(s.set, s.handed)
	s.pool.mu.Unlock()
	all := append([]Rejection(nil), s.rejections...)
	seen := make(map[string]bool, len(all))
	for _, r := range all {
		seen[r.Orchestrator] = true
	}
	for _, r := range rejections {
		if !seen[r.Orchestrator] {
			all = append(all, r)
		}
	}
	return all
}

// Remaining returns how many candidates Next has not handed out yet (for a
// pool Selector: those usable now, not counting answers still pending).
func (s *Selector) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pool == nil {
		return len(s.queue) - s.next
	}
	return len(s.pendingLocked())
}

// Candidates returns a copy of all candidates, in order: for a pool
// Selector, those handed out so far, then the ones Next would hand out next
// as the pool ranks them now.
func (s *Selector) Candidates() []*Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pool == nil {
		return append([]*Info(nil), s.queue...)
	}
	return append(append([]*Info(nil), s.order...), s.pendingLocked()...)
}

func (s *Selector) pendingLocked() []*Info {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	ranked, _, _ := s.pool.snapshotLocked(s.set, s.handed)
	return ranked
}
