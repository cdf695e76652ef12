package discovery

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// listLocked starts listing s's orchestrators from the source (in the
// background, bounded by the source's own timeouts and by Close). The
// first listing also signs the GetOrchestrator request once, so that a
// signer failure reaches the caller instead of every orchestrator's entry.
func (p *Pool) listLocked(s *capSet) *listFlight {
	lf := &listFlight{done: make(chan struct{})}
	s.listing = lf
	first := !s.listed
	p.wg.Go(func() {
		addrs, err := p.src.Orchestrators(p.life, s.want)
		switch {
		case err != nil:
			err = fmt.Errorf("discovery: list orchestrators from %s: %w", p.src, err)
		case len(addrs) == 0:
			err = &lperr.NoOrchestratorError{Capability: s.label, Reason: p.src.String() + " returned no orchestrators"}
		case first:
			_, err = p.client.sign(p.life)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		s.listing = nil
		now := time.Now()
		switch {
		case p.closed:
			err = lperr.ErrClosed
		case err == nil:
			p.mergeLocked(s, addrs)
			s.listed = true
			s.listAt = now.Add(p.jitter(p.opt.MaxAge))
		case s.listed:
			p.log.LogAttrs(p.life, slog.LevelDebug, "orchestrator list refresh failed; keeping the last list",
				slog.String("capability", s.label), slog.String("error", err.Error()))
			s.listAt = now.Add(p.opt.BackoffMin)
		}
		lf.err = err
		close(lf.done)
		s.notifyLocked()
	})
	return lf
}

// mergeLocked makes addrs s's orchestrators: new ones are asked at once,
// gone ones are forgotten (their connections closed).
func (p *Pool) mergeLocked(s *capSet, addrs []string) {
	seen := make(map[string]bool, len(addrs))
	order := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		order = append(order, a)
		if s.entries[a] == nil {
			e := &entry{addr: a}
			s.entries[a] = e
			if !s.listed {
				e.cold = true
				s.unanswered++
			}
			p.probeLocked(s, e)
		}
	}
	for a, e := range s.entries {
		if !seen[a] {
			if e.cold { // of the first round: no longer awaited
				e.cold = false
				s.unanswered--
			}
			delete(s.entries, a)
			p.client.Forget(a)
		}
	}
	s.order = order
}

// probeLocked starts a GetOrchestrator call for e (or returns the one in
// flight).
func (p *Pool) probeLocked(s *capSet, e *entry) *flight {
	if e.flight != nil {
		return e.flight
	}
	f := &flight{done: make(chan struct{})}
	if p.closed {
		f.err = lperr.ErrClosed
		close(f.done)
		return f
	}
	e.flight = f
	e.nextAt = time.Time{}
	p.wg.Go(func() {
		info, err := p.client.GetOrchestrator(p.life, e.addr, s.want)
		p.settle(s, e, f, info, err)
	})
	return f
}

// settle records the outcome of a GetOrchestrator call.
func (p *Pool) settle(s *capSet, e *entry, f *flight, info *Info, err error) {
	p.mu.Lock()
	e.flight = nil
	f.info, f.err = info, err
	now := time.Now()
	unreachable := false
	if err == nil {
		if p.observeLocked(info) {
			p.rescheduleLocked(now)
		}
		if !p.usableLocked(info, now) {
			// Due on arrival (an auth token shorter than the signer's
			// margin, params about to expire): the signer would refuse
			// it, so it is as good as no answer.
			err = fmt.Errorf("discovery: GetOrchestrator %s: %w: its answer is already due for a refresh (auth token expiring %s, or ticket params about to expire)",
				e.addr, lperr.ErrOrchestratorUnavailable, info.AuthExpiry.Format(time.RFC3339))
			info = nil
			f.info, f.err = nil, err
		}
	}
	switch {
	case err == nil:
		if e.down {
			p.log.LogAttrs(p.life, slog.LevelDebug, "orchestrator back", slog.String("orchestrator", e.addr), slog.String("capability", s.label))
		}
		e.info, e.err, e.down, e.probeFails = info, nil, false, 0
		e.nextAt = p.refreshAtLocked(info, now)
		if !s.readyDone && p.qualifiesLocked(s, info) {
			if s.good == 0 {
				s.firstGood = now
			}
			s.good++
		}
	case p.closed || errors.Is(err, lperr.ErrClosed):
	case orchestratorFault(err):
		e.err, e.down = err, true
		e.probeFails++
		e.nextAt = now.Add(p.backoff(e.probeFails))
		var re *RPCError
		unreachable = errors.As(err, &re) && re.transportFailure()
		p.log.LogAttrs(p.life, slog.LevelDebug, "orchestrator down", slog.String("orchestrator", e.addr),
			slog.String("capability", s.label), slog.Int("failures", e.probeFails), slog.Time("next_probe", e.nextAt),
			slog.String("error", err.Error()))
	default: // the signer, not the orchestrator: try again soon
		e.err = err
		e.nextAt = now.Add(p.opt.BackoffMin)
	}
	if e.cold {
		e.cold = false
		s.unanswered--
	}
	transcoder := ""
	if e.info != nil {
		transcoder = e.info.Transcoder
	}
	close(f.done)
	s.notifyLocked()
	p.mu.Unlock()
	p.kick()
	if unreachable && p.onDown != nil {
		p.onDown(e.addr, transcoder)
	}
}

// orchestratorFault reports a GetOrchestrator failure that is the
// orchestrator's (or its address's), not the signer's or the caller's.
func orchestratorFault(err error) bool {
	var re *RPCError
	var ae *AddressError
	return errors.As(err, &re) || errors.As(err, &ae) || errors.Is(err, lperr.ErrOrchestratorUnavailable)
}

// qualifiesLocked reports whether info is a candidate for s.
func (p *Pool) qualifiesLocked(s *capSet, info *Info) bool {
	r, _ := Rank([]*Info{info}, s.want, p.maxPrice)
	return len(r) == 1
}

// backoff is BackoffMin doubled n−1 times, at most BackoffMax.
func (p *Pool) backoff(n int) time.Duration {
	d := p.opt.BackoffMin
	for i := 1; i < n && d < p.opt.BackoffMax; i++ {
		d *= 2
	}
	return min(d, p.opt.BackoffMax)
}
