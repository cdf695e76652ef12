package discovery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// poolKey identifies a capability set: (capability id, model) or "any".
type poolKey struct {
	any bool
	cap Capability
}

func keyOf(want *Capability) poolKey {
	if want == nil {
		return poolKey{any: true}
	}
	return poolKey{cap: *want}
}

// capSet is the pool's state for one key. Guarded by Pool.mu.
type capSet struct {
	want  *Capability // nil: any
	label string

	order   []string // addresses, in the source's order
	entries map[string]*entry

	listed   bool          // the source was listed at least once
	listing  *listFlight   // a listing in progress
	listAt   time.Time     // next background listing
	lastUsed time.Time     // last Select/Orchestrators call
	changed  chan struct{} // closed (and replaced) on every change

	// Cold start: the first listing's round.
	unanswered int       // entries of the first listing without an answer yet
	good       int       // qualifying answers in the first round
	firstGood  time.Time // when the first qualifying answer came
	readyDone  bool      // the cold-start rule was met (sticky)
}

// entry is what the pool knows of one orchestrator for one key.
type entry struct {
	addr string
	info *Info // last good answer
	err  error // last failure since then
	cold bool  // of the first listing, not answered yet
	down bool  // the last GetOrchestrator failed

	probeFails   int       // consecutive failed GetOrchestrator calls
	jobFails     int       // reported job failures, forgotten after BackoffMax
	lastJobFail  time.Time // when the last one was reported
	demotedUntil time.Time

	claimed *Info     // info handed to a payment session: its ticket params are taken
	nextAt  time.Time // next background refresh or probe
	flight  *flight   // GetOrchestrator in progress
}

// availableLocked reports whether e's answer may be handed out at now.
func (p *Pool) availableLocked(e *entry, now time.Time) bool {
	return e.info != nil && !e.down && e.info != e.claimed && p.usableLocked(e.info, now)
}

// flight is one GetOrchestrator call in progress; done is closed when
// info/err are set.
type flight struct {
	done chan struct{}
	info *Info
	err  error
}

func (f *flight) wait(ctx context.Context) (*Info, error) {
	select {
	case <-f.done:
		return f.info, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("discovery: refresh: %w", ctx.Err())
	}
}

// listFlight is one source listing in progress.
type listFlight struct {
	done chan struct{}
	err  error
}

// setLocked returns want's set, creating it (and starting the scheduler).
func (p *Pool) setLocked(want *Capability) *capSet {
	k := keyOf(want)
	s := p.sets[k]
	if s == nil {
		s = &capSet{label: label(want), entries: map[string]*entry{}, changed: make(chan struct{})}
		if want != nil {
			w := *want
			s.want = &w
		}
		p.sets[k] = s
		p.startLocked()
	}
	s.lastUsed = time.Now()
	return s
}

// notifyLocked wakes everyone waiting for a change of s.
func (s *capSet) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// readyLocked reports whether the cold-start rule is met.
func (s *capSet) readyLocked(now time.Time, opt PoolOptions) bool {
	if !s.readyDone && s.listed && (s.unanswered == 0 || s.good >= opt.Quorum ||
		(s.good > 0 && !now.Before(s.firstGood.Add(opt.Grace)))) {
		s.readyDone = true
	}
	return s.readyDone
}

// waitState says what a snapshot is still waiting for.
type waitState struct {
	awaited bool // first answers, or refreshes of stale answers, in flight
	probing bool // probes of down orchestrators in flight
}

// snapshotLocked ranks s's usable answers (healthy ones, then demoted ones;
// those in handed left out) and lists the rest as rejections. A cached
// answer past its due point is not usable: its refresh starts here.
func (p *Pool) snapshotLocked(s *capSet, handed map[string]bool) (ranked []*Info, rejections []Rejection, st waitState) {
	now := time.Now()
	var healthy, demoted []*Info
	for _, addr := range s.order {
		e := s.entries[addr]
		if p.availableLocked(e, now) {
			switch {
			case handed[addr]:
			case now.Before(e.demotedUntil):
				demoted = append(demoted, e.info)
			default:
				healthy = append(healthy, e.info)
			}
			continue
		}
		if handed[addr] {
			continue
		}
		if e.info != nil && !e.down && e.flight == nil {
			p.probeLocked(s, e) // stale or claimed: refresh it now
		}
		if e.flight != nil {
			if !e.down {
				st.awaited = true
				continue
			}
			st.probing = true
		}
		err := e.err
		if err == nil {
			err = fmt.Errorf("%w: no answer yet", lperr.ErrOrchestratorUnavailable)
		}
		rejections = append(rejections, Rejection{Orchestrator: addr, Err: err})
	}
	r1, f1 := Rank(healthy, s.want, p.maxPrice)
	r2, f2 := Rank(demoted, s.want, p.maxPrice)
	return append(r1, r2...), append(append(rejections, f1...), f2...), st
}

// reprobeLocked probes at once every orchestrator of s that failed and is
// not being probed; it reports whether it started any.
func (p *Pool) reprobeLocked(s *capSet) bool {
	n := 0
	for _, e := range s.entries {
		if e.flight == nil && (e.down || e.info == nil) {
			p.probeLocked(s, e)
			n++
		}
	}
	return n > 0
}

// gather returns want's set once it can be used: listed, the cold-start
// rule met (full: every first answer in), with a candidate or nothing left
// to wait for. When it has no candidate it returns a
// *livepeer.NoOrchestratorError.
func (p *Pool) gather(ctx context.Context, want *Capability, full bool) (*capSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	first, warm, retried := true, false, false
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, lperr.ErrClosed
		}
		s := p.setLocked(want)
		now := time.Now()
		if first {
			first, warm = false, s.readyDone
		}
		var wait <-chan struct{}
		until := time.Duration(-1)
		switch {
		case !s.listed:
			lf := s.listing
			if lf == nil {
				lf = p.listLocked(s)
			}
			p.mu.Unlock()
			select {
			case <-lf.done:
				if lf.err != nil {
					if errors.Is(lf.err, lperr.ErrClosed) || p.isClosed() {
						return nil, lperr.ErrClosed
					}
					return nil, lf.err
				}
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("discovery: list orchestrators: %w", ctx.Err())
			}
		case full && s.unanswered > 0:
			wait = s.changed
		case !full && !s.readyLocked(now, p.opt):
			wait = s.changed
			if s.good > 0 {
				until = s.firstGood.Add(p.opt.Grace).Sub(now)
			}
		default:
			ranked, rejections, st := p.snapshotLocked(s, nil)
			switch {
			case len(ranked) > 0 && !(full && st.awaited):
				p.mu.Unlock()
				return s, nil
			case st.awaited || (retried && st.probing):
				wait = s.changed
			case warm && !retried && p.reprobeLocked(s):
				retried = true
				wait = s.changed
			default:
				p.mu.Unlock()
				return nil, noneQualified(s.label, rejections)
			}
		}
		p.mu.Unlock()
		var tc <-chan time.Time
		if until >= 0 {
			if timer == nil {
				timer = time.NewTimer(until)
			} else {
				timer.Reset(until)
			}
			tc = timer.C
		}
		select {
		case <-wait:
		case <-tc:
		case <-ctx.Done():
			return nil, fmt.Errorf("discovery: waiting for orchestrators: %w", ctx.Err())
		}
	}
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// noneQualified is the error for a key with no candidate.
func noneQualified(label string, rejections []Rejection) error {
	notOffered := 0
	for _, r := range rejections {
		if errors.Is(r.Err, ErrCapabilityNotOffered) {
			notOffered++
		}
	}
	reason := fmt.Sprintf("none of %d orchestrators qualified", len(rejections))
	if notOffered == len(rejections) && notOffered > 0 {
		reason = "no orchestrator offers it"
	}
	return &lperr.NoOrchestratorError{Capability: label, Reason: reason, Rejections: rejections}
}
