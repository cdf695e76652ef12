package discovery

import (
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// reportAction is what a reported failure does to an entry.
type reportAction uint8

const (
	actRefresh     reportAction = 1 << iota // ask GetOrchestrator again now
	actDemote                               // rank it last for a backoff
	actUnreachable                          // drop the connections to it
)

// classifyReport maps a job failure to what the pool does about it:
//   - the worker failed (livepeer.ErrJobFailed: the orchestrator ran the
//     job), the payer is out of credit, the signer is down, bad input, a
//     closed object, a cancelled call, or a refusal the pool cannot judge
//     (a 4xx answer other than 402/403): nothing;
//   - the signer asks for fresh info (livepeer.ErrRefreshSession) or finds
//     the price above its ceiling (livepeer.ErrPriceExceeded): refresh;
//   - a refused payment (livepeer.ErrPaymentFailed: 402/403): refresh and
//     demote;
//   - the orchestrator failed (livepeer.ErrOrchestratorUnavailable: a 5xx
//     answer, no capacity, a connection that failed): refresh and demote,
//     and drop its connections when it could not be reached at all (a
//     network error in the chain).
func classifyReport(err error) reportAction {
	switch {
	case err == nil, errors.Is(err, lperr.ErrJobFailed), errors.Is(err, lperr.ErrInsufficientBalance),
		errors.Is(err, lperr.ErrSignerUnavailable), errors.Is(err, lperr.ErrInvalidConfig),
		errors.Is(err, lperr.ErrClosed), errors.Is(err, lperr.ErrNoTicketsNeeded):
		return 0
	case errors.Is(err, lperr.ErrRefreshSession), errors.Is(err, lperr.ErrPriceExceeded):
		return actRefresh
	case errors.Is(err, lperr.ErrPaymentFailed):
		return actRefresh | actDemote
	case errors.Is(err, lperr.ErrOrchestratorUnavailable):
		var ne net.Error
		var api *lperr.APIError
		if errors.As(err, &ne) && !errors.As(err, &api) {
			return actRefresh | actDemote | actUnreachable
		}
		return actRefresh | actDemote
	}
	return 0
}

// Report tells the pool that a job on info's orchestrator (for
// info.Requested) failed with err, as Selector.Reject does; see
// classifyReport for what each kind of failure does. A demotion lasts
// BackoffMin, doubling with each failure reported within BackoffMax of the
// previous one, up to BackoffMax. Reports for a capability or an
// orchestrator the pool does not hold are ignored.
func (p *Pool) Report(info *Info, err error) {
	act := classifyReport(err)
	if info == nil || act == 0 || p.opt.Disabled {
		return
	}
	p.mu.Lock()
	s := p.sets[keyOf(info.Requested)]
	var e *entry
	if s != nil {
		e = s.entries[info.Addr]
	}
	if e == nil || p.closed {
		p.mu.Unlock()
		return
	}
	now := time.Now()
	if act&actDemote != 0 {
		if now.Sub(e.lastJobFail) > p.opt.BackoffMax {
			e.jobFails = 0
		}
		e.jobFails++
		e.lastJobFail = now
		e.demotedUntil = now.Add(p.backoff(e.jobFails))
		p.log.LogAttrs(p.life, slog.LevelDebug, "orchestrator demoted", slog.String("orchestrator", info.Addr),
			slog.String("capability", s.label), slog.Int("failures", e.jobFails), slog.Time("until", e.demotedUntil),
			slog.String("error", err.Error()))
	}
	if act&actUnreachable != 0 {
		// Before the probe below, so that it dials afresh rather than
		// being cut with the old connections.
		p.client.Forget(info.Addr)
	}
	if act&actRefresh != 0 {
		p.probeLocked(s, e)
	}
	s.notifyLocked()
	p.mu.Unlock()
	if act&actUnreachable != 0 && p.onDown != nil {
		p.onDown(info.Addr, info.Transcoder)
	}
}

// PoolEntry is what the pool knows of one orchestrator for one capability
// (see Pool.Entries).
type PoolEntry struct {
	// Addr is the orchestrator's address as the source lists it.
	Addr string
	// Info is its last good GetOrchestrator answer (nil before the first).
	Info *Info
	// Err is the last failure since that answer (nil after a good one).
	Err error
	// Down reports that its last GetOrchestrator failed: it is not a
	// candidate until a probe succeeds.
	Down bool
	// Failures counts its consecutive failed GetOrchestrator calls.
	Failures int
	// JobFailures counts the job failures reported for it (Report), each
	// within BackoffMax of the previous one.
	JobFailures int
	// DemotedUntil: until then it ranks after the healthy orchestrators
	// (zero or past: not demoted).
	DemotedUntil time.Time
	// Usable reports that Info may be handed out now: the orchestrator is
	// up, neither its auth token nor its ticket params are due for a
	// refresh, and no payment session claimed its ticket params (Claim).
	Usable bool
	// Probing reports a GetOrchestrator call in flight.
	Probing bool
	// NextCheck is when the pool asks it next (zero while Probing).
	NextCheck time.Time
}

// Entries returns what the pool holds for want (nil: the "no filter" key),
// in the source's order, or nil when no call asked for want yet (or it was
// dropped as idle). It does no I/O.
func (p *Pool) Entries(want *Capability) []PoolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sets[keyOf(want)]
	if s == nil {
		return nil
	}
	now := time.Now()
	out := make([]PoolEntry, 0, len(s.order))
	for _, a := range s.order {
		e := s.entries[a]
		out = append(out, PoolEntry{Addr: a, Info: e.info, Err: e.err, Down: e.down, Failures: e.probeFails,
			JobFailures: e.jobFails, DemotedUntil: e.demotedUntil, Probing: e.flight != nil, NextCheck: e.nextAt,
			Usable: p.availableLocked(e, now)})
	}
	return out
}
