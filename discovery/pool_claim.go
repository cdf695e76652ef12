package discovery

import (
	"context"
	"fmt"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Refresh asks info's orchestrator again for its OrchestratorInfo (same
// address, same requested capability) on behalf of one payment session,
// for example when the signer asks for fresh info (480). The answer is the
// caller's own (its ticket params are not shared with anyone). The pool
// learns from it: the chain estimate moves, a failure counts like a failed
// probe, and the pool's own entry is refreshed at once too. Errors are
// those of Client.GetOrchestrator.
func (p *Pool) Refresh(ctx context.Context, info *Info) (*Info, error) {
	if info == nil {
		return nil, fmt.Errorf("discovery: refresh: nil orchestrator info")
	}
	if p.isClosed() {
		return nil, lperr.ErrClosed
	}
	fresh, err := p.client.GetOrchestrator(ctx, info.Addr, info.Requested)
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sets[keyOf(info.Requested)]
	if s == nil || p.closed || p.opt.Disabled {
		return fresh, err
	}
	e := s.entries[info.Addr]
	switch {
	case e == nil:
	case err == nil:
		if p.observeLocked(fresh) {
			p.rescheduleLocked(time.Now())
			p.kick()
		}
		p.probeLocked(s, e) // what the caller found stale is likely stale in the pool too
	case orchestratorFault(err) && ctx.Err() == nil:
		e.err, e.down = err, true
		e.probeFails++
		if e.flight == nil {
			e.nextAt = time.Now().Add(p.backoff(e.probeFails))
		}
		s.notifyLocked()
		p.kick()
	}
	return fresh, err
}

// Claim records that info's ticket params now back a payment session, so
// that the pool hands them to no other: the remote signer starts a new
// session's ticket nonces at 0, and an orchestrator refuses a nonce it saw
// before for the same params ("invalid ticket senderNonce: already seen",
// go-livepeer pm/recipient.go updateSenderNonce; server/remote_signer.go
// resets the nonce for a new state). The entry is refreshed at once (fresh
// params, a new seed); until then it is not handed out. A Selector claims
// what it hands out for every capability but BYOC (BYOC jobs pay with the
// ticket params of their job token, not the info's); NewPaymentSession
// callers claim infos they got from Orchestrators. Off-chain infos (no
// ticket params) and infos the pool does not hold are ignored.
func (p *Pool) Claim(info *Info) {
	if info == nil || !info.Onchain() || p.opt.Disabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sets[keyOf(info.Requested)]
	if s == nil || p.closed {
		return
	}
	p.claimLocked(s, s.entries[info.Addr], info)
}

func (p *Pool) claimLocked(s *capSet, e *entry, info *Info) {
	if e == nil || e.info != info || e.claimed == info {
		return
	}
	e.claimed = info
	p.probeLocked(s, e)
}
