package discovery

import "time"

// chainHead is the pool's estimate of the current L1 block, read off the
// newest GetOrchestrator answer: an orchestrator issues ticket params that
// expire TicketParamsLifetime blocks after its last seen block, so
// ExpirationBlock − TicketParamsLifetime is the block it saw when it
// answered. Between answers the estimate grows by one block per BlockTime.
type chainHead struct {
	known bool
	block int64
	at    time.Time
}

// observeLocked feeds info's ticket params to the estimate. It reports
// whether the estimate moved to a later block than the one known before
// (cached answers may have become stale).
func (p *Pool) observeLocked(info *Info) bool {
	tp := info.TicketParams
	if tp == nil || tp.ExpirationBlock == nil || !tp.ExpirationBlock.IsInt64() {
		return false
	}
	b := tp.ExpirationBlock.Int64() - TicketParamsLifetime
	if b <= 0 {
		return false
	}
	at := info.FetchedAt
	if at.IsZero() {
		at = time.Now()
	}
	switch {
	case !p.head.known:
		p.head = chainHead{known: true, block: b, at: at}
		return false
	case b > p.head.block:
		p.head = chainHead{known: true, block: b, at: at}
		return true
	case b == p.head.block && at.After(p.head.at):
		p.head.at = at // re-anchor: the chain is not faster than BlockTime says
	}
	return false
}

// blockAtLocked estimates the L1 block at t (ok is false before any
// on-chain answer).
func (p *Pool) blockAtLocked(t time.Time) (block int64, ok bool) {
	if !p.head.known {
		return 0, false
	}
	b := p.head.block
	if d := t.Sub(p.head.at); d > 0 {
		b += int64(d / p.opt.BlockTime)
	}
	return b, true
}

// dueLocked returns when info must no longer be used: its auth token
// entering its last AuthRefreshMargin, or its ticket params getting within
// TicketParamsMargin blocks of expiry by the chain estimate. ok is false
// when info has neither.
func (p *Pool) dueLocked(info *Info) (due time.Time, ok bool) {
	if !info.AuthExpiry.IsZero() {
		due, ok = info.AuthExpiry.Add(-AuthRefreshMargin), true
	}
	if tp := info.TicketParams; tp != nil && tp.ExpirationBlock != nil && tp.ExpirationBlock.IsInt64() &&
		tp.ExpirationBlock.Sign() > 0 && p.head.known {
		left := tp.ExpirationBlock.Int64() - TicketParamsMargin - p.head.block
		d := p.head.at.Add(time.Duration(left) * p.opt.BlockTime)
		if !ok || d.Before(due) {
			due, ok = d, true
		}
	}
	return due, ok
}

// usableLocked reports whether info may be handed out at now.
func (p *Pool) usableLocked(info *Info, now time.Time) bool {
	if !info.AuthExpiry.IsZero() && !now.Before(info.AuthExpiry.Add(-AuthRefreshMargin)) {
		return false
	}
	if tp := info.TicketParams; tp != nil && tp.ExpirationBlock != nil && tp.ExpirationBlock.IsInt64() && tp.ExpirationBlock.Sign() > 0 {
		if b, ok := p.blockAtLocked(now); ok && tp.ExpirationBlock.Int64()-b <= TicketParamsMargin {
			return false
		}
	}
	return true
}

// refreshAtLocked returns when info should be refreshed in the background:
// MaxAge after it arrived (less jitter), or a lead before it is due,
// whichever is first, but not sooner than min(BackoffMin, MaxAge) after it
// arrived, unless it is already due.
func (p *Pool) refreshAtLocked(info *Info, now time.Time) time.Time {
	fetched := info.FetchedAt
	if fetched.IsZero() {
		fetched = now
	}
	at := fetched.Add(p.jitter(p.opt.MaxAge))
	due, ok := p.dueLocked(info)
	if !ok {
		return at
	}
	if !now.Before(due) {
		return now
	}
	at = minTime(at, due.Add(-p.lead(due.Sub(fetched))))
	if floor := fetched.Add(min(p.opt.BackoffMin, p.opt.MaxAge)); at.Before(floor) {
		at = minTime(floor, due)
	}
	return at
}

// lead is how long before an answer is due its background refresh runs:
// MaxAge/10, at most 30 s, and at most a quarter of the answer's useful
// life (life).
func (p *Pool) lead(life time.Duration) time.Duration {
	return max(0, min(p.opt.MaxAge/10, 30*time.Second, life/4))
}
