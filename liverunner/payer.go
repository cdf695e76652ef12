package liverunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// payer keeps a time-priced session paid: every interval it makes tickets
// (the remote signer) and sends them to the session's payment URL
// (go-livepeer PaymentForLiveRunnerSession). See run for how it reacts.
type payer struct {
	hc          Doer
	pay         *payment.Session
	url         string   // POST target: {control_url}/payment or the challenge's payment_url
	ceiling     *big.Rat // the reservation's price per unit
	interval    time.Duration
	timeout     time.Duration // per payment request
	maxFailures int
	session     string
	warn        func(Warning)
	log         *slog.Logger

	mu       sync.Mutex
	payments int         // payments the orchestrator accepted by the loop
	unpaid   error       // why the last tick paid nothing (nil once one goes through)
	fixed    bool        // the orchestrator answered 409: nothing more to pay
	warned   WarningKind // the last warning given ("" after a resume)
}

// errFixed stops the loop without ending the session.
var errFixed = errors.New("liverunner: fixed-price session: no follow-up payments")

// run pays every interval until ctx ends (nil) or the session is over:
//   - 200: the payment went through; the answer's terms (protobuf
//     PaymentResult, or the JSON challenge shape) are adopted for the next
//     payment when their price is not above the reservation's;
//   - 409: a fixed-price session: payments stop, the session goes on;
//   - 404: the orchestrator released the session: it ends with
//     ErrSessionReleased, also matching livepeer.ErrInsufficientBalance
//     when payments were failing (it ran out of prepaid time);
//   - 400/402/403: the orchestrator refused this payment (the session is
//     not released by it): a warning, the next tick tries again;
//   - the signer failing (out of credit, unreachable): a warning, the
//     session rides on prepaid time; each such tick checks the session is
//     still there (an empty POST to the payment URL: master answers 403
//     for a live session, 404 once released);
//   - transport errors and 5xx: a warning; maxFailures in a row end the
//     session with livepeer.ErrOrchestratorUnavailable.
func (p *payer) run(ctx context.Context) error {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := p.once(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			failures = 0
		case errors.Is(err, errFixed):
			p.log.Debug("live runner: fixed-price session, payments stop", "session_id", p.session)
			return nil
		case errors.Is(err, ErrSessionReleased):
			return err
		case errors.Is(err, lperr.ErrOrchestratorUnavailable):
			failures++
			p.emit(WarnOrchestratorUnreachable, err)
			if failures >= p.maxFailures {
				return fmt.Errorf("liverunner: session %s: %d payments in a row could not reach the orchestrator: %w", p.session, failures, err)
			}
		default:
			failures = 0
		}
	}
}

// once makes one payment. It returns nil when the payment went through
// or nothing was due, errFixed, an error wrapping ErrSessionReleased, one
// wrapping ErrOrchestratorUnavailable, or another error already reported
// as a warning.
func (p *payer) once(ctx context.Context) error {
	pm, err := p.pay.Next(ctx)
	if errors.Is(err, lperr.ErrNoTicketsNeeded) {
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		kind := WarnPaymentOutage
		if errors.Is(err, lperr.ErrInsufficientBalance) {
			kind = WarnOutOfCredit
		}
		p.setUnpaid(err)
		p.emit(kind, err)
		return p.probe(ctx)
	}
	a, err := p.post(ctx, pm)
	if err != nil {
		return err
	}
	switch {
	case a.status == http.StatusOK:
		if next := paymentResultInfo(a.body, p.pay.Info().Addr, p.pay.Info()); notAbove(next, p.ceiling) {
			p.pay.SetInfo(next)
		}
		p.mu.Lock()
		p.payments++
		resumed := p.unpaid != nil
		p.unpaid = nil
		p.mu.Unlock()
		if resumed {
			p.emit(WarnPaymentsResumed, nil)
		}
		return nil
	case a.status == http.StatusConflict:
		p.mu.Lock()
		p.fixed = true
		p.mu.Unlock()
		return errFixed
	case a.status == http.StatusNotFound:
		return p.released(orchestratorError("payment", p.url, a))
	case a.status >= 500:
		return orchestratorError("payment", p.url, a)
	}
	e := orchestratorError("payment", p.url, a)
	if e.Kind == nil {
		e.Kind = lperr.ErrPaymentFailed
	}
	p.setUnpaid(e)
	p.emit(WarnPaymentRefused, e)
	return e
}

// post sends one payment.
func (p *payer) post(ctx context.Context, pm *payment.Payment) (*answer, error) {
	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, p.url, http.NoBody)
	if err != nil {
		return nil, err
	}
	if pm != nil {
		setPaymentHeaders(req.Header, pm)
	}
	a, err := do(p.hc, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("liverunner: payment to %s: %w: %w", p.url, lperr.ErrOrchestratorUnavailable, err)
	}
	return a, nil
}

// probe checks that a session with no payment this tick still exists.
func (p *payer) probe(ctx context.Context) error {
	a, err := p.post(ctx, nil)
	if err != nil {
		return err
	}
	if a.status == http.StatusNotFound {
		return p.released(orchestratorError("payment", p.url, a))
	}
	if a.status == http.StatusConflict {
		return errFixed
	}
	return nil
}

// released is the session's end once the orchestrator released it.
func (p *payer) released(cause error) error {
	p.mu.Lock()
	unpaid := p.unpaid
	p.mu.Unlock()
	if unpaid != nil {
		return fmt.Errorf("liverunner: session %s released after payments failed (prepaid time ran out): %w: %w: %w", p.session, ErrSessionReleased, lperr.ErrInsufficientBalance, unpaid)
	}
	return fmt.Errorf("liverunner: session %s: %w: %w", p.session, ErrSessionReleased, cause)
}

func (p *payer) setUnpaid(err error) {
	p.mu.Lock()
	p.unpaid = err
	p.mu.Unlock()
}

// emit gives a warning once per episode: a kind already given is not
// repeated until payments resume.
func (p *payer) emit(kind WarningKind, err error) {
	p.mu.Lock()
	repeat := p.warned == kind
	p.warned = kind
	if kind == WarnPaymentsResumed {
		p.warned = ""
	}
	p.mu.Unlock()
	if repeat {
		p.log.Debug("live runner session payment", "session_id", p.session, "kind", string(kind), "err", err)
		return
	}
	if kind != WarnPaymentsResumed {
		p.log.Warn("live runner session payment", "session_id", p.session, "kind", string(kind), "err", err)
	}
	if p.warn != nil {
		p.warn(Warning{Kind: kind, Session: p.session, Err: err, At: time.Now()})
	}
}

// count returns the payments made.
func (p *payer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.payments
}
