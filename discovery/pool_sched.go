package discovery

import (
	"math/rand/v2"
	"time"
)

// startLocked starts the scheduler once, on the first use of the pool.
func (p *Pool) startLocked() {
	if p.started || p.closed {
		return
	}
	p.started = true
	p.wg.Go(p.run)
}

// kick nudges the scheduler to look at the schedule again.
func (p *Pool) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run is the scheduler: it starts the refreshes, probes and listings that
// are due, then sleeps until the next one (or a kick), until Close.
func (p *Pool) run() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := p.tick(time.Now())
		t.Reset(max(time.Until(next), 0))
		select {
		case <-p.life.Done():
			return
		case <-p.wake:
		case <-t.C:
		}
	}
}

// tick starts what is due at now and returns when it should run again.
func (p *Pool) tick(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := now.Add(time.Hour)
	if p.closed {
		return next
	}
	for k, s := range p.sets {
		if s.listed && now.Sub(s.lastUsed) >= p.opt.IdleAfter {
			delete(p.sets, k) // idle: stop refreshing it (flights in progress finish)
			s.notifyLocked()
			continue
		}
		if s.listed && s.listing == nil {
			if !now.Before(s.listAt) {
				p.listLocked(s)
			} else {
				next = minTime(next, s.listAt)
			}
		}
		for _, e := range s.entries {
			switch {
			case e.flight != nil || e.nextAt.IsZero():
			case !now.Before(e.nextAt):
				p.probeLocked(s, e)
			default:
				next = minTime(next, e.nextAt)
			}
		}
		next = minTime(next, s.lastUsed.Add(p.opt.IdleAfter))
	}
	return next
}

// rescheduleLocked brings forward the refresh of every cached answer that
// the chain estimate (just moved) makes due sooner.
func (p *Pool) rescheduleLocked(now time.Time) {
	for _, s := range p.sets {
		for _, e := range s.entries {
			if e.info == nil || e.down || e.flight != nil {
				continue
			}
			if at := p.refreshAtLocked(e.info, now); at.Before(e.nextAt) {
				e.nextAt = at
			}
		}
	}
}

// jitter returns d less up to 10 %, so that answers fetched together are
// not all refreshed at the same instant.
func (p *Pool) jitter(d time.Duration) time.Duration {
	if d <= 10 {
		return d
	}
	return d - rand.N(d/10)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
