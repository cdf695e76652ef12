package aipipeline

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// MaxTriesPerOrchestrator is how many times one orchestrator is tried for
// one request when it answers "ticketparams expired", each time with fresh
// OrchestratorInfo (go-livepeer's maxSameSessTries, server/ai_process.go:44,
// 1549-1554, master 176aa415ccea4f9861e0dd44e981cda17fb36f52).
const MaxTriesPerOrchestrator = 3

// Run sends call to the candidates in turn until one answers, and returns
// the answer (Result.Info is the OrchestratorInfo it was paid on). hc must
// accept the orchestrators' self-signed certificates; the Result keeps it
// for Output.Bytes.
//
// Each attempt costs one GetOrchestrator on the candidate for (capability,
// model), so the price and ticket params are that pair's and unused; one
// payment made on that info (POST /generate-live-payment with "type"
// omitted, inPixels = call.Units, ManifestID "<capability id>_<model>",
// no state; off-chain, or for an orchestrator that sends no ticket params,
// seg creds with its auth token and no signer call); and one POST to the
// pipeline's route. A call that succeeds at the first candidate therefore
// makes one GetOrchestrator, one signer call and one request.
//
// It moves on only while nothing was charged: a failed GetOrchestrator, a
// model no longer listed or priced above Config.MaxPrice, a payment the
// signer refuses for this orchestrator (481 price, more than
// MaxTicketsPerPayment tickets, an unusable info), any 503 (no capacity:
// go-livepeer checks it before the payment), a payment the orchestrator
// refuses before crediting it (402, 403, ticket errors: "invalid ticket
// senderNonce" included, as go-livepeer's gateway retries it elsewhere), a
// 404/405 (no such route), or a connection that failed before the request
// was written. "ticketparams expired" is retried on the same orchestrator
// with fresh info, MaxTriesPerOrchestrator times in all. Anything else
// ends the call, so one answer is never paid for twice: bad input
// (ErrBadInput, with the orchestrator's text; another orchestrator would
// refuse it too), a runner failure (ErrRunner: the orchestrator kept the
// credit), "Insufficient balance", an answer that may have been processed,
// the payer out of credit (livepeer.ErrInsufficientBalance), the signer
// down or refusing the credentials, a payment above the signer's
// -maxTotalEV (*PaymentLimitError), and ctx ending.
//
// Errors: those above as they are (*Error, *PaymentLimitError, the
// signer's *signer.Error, ctx.Err()); the candidates' error
// (*livepeer.NoOrchestratorError listing every rejection, whose causes
// errors.Is and errors.As reach) when none answered.
func (c *Client) Run(ctx context.Context, hc *http.Client, cands Candidates, call *Call) (*Result, error) {
	if call == nil {
		return nil, errors.New("aipipeline: nil call")
	}
	if call.Stream {
		return nil, errors.New("aipipeline: Run: call streams (llm with stream:true); use Stream")
	}
	var res *Result
	err := c.failover(ctx, cands, call, func(ctx context.Context, t Target, info *discovery.Info, p Payer) error {
		r, err := Run(ctx, hc, t, call, p)
		if err == nil {
			r.Info, res = info, r
		}
		return err
	})
	return res, err
}

// Stream is Run for a streaming LLM call (call.Stream): it returns the open
// event stream of the first candidate that answers, with the same costs,
// failover and errors. The caller must Close the stream; ctx bounds it.
func (c *Client) Stream(ctx context.Context, hc *http.Client, cands Candidates, call *Call) (*LLMStream, error) {
	if call == nil {
		return nil, errors.New("aipipeline: nil call")
	}
	if !call.Stream {
		return nil, errors.New("aipipeline: Stream: call does not stream (set stream:true on an llm request)")
	}
	var st *LLMStream
	err := c.failover(ctx, cands, call, func(ctx context.Context, t Target, info *discovery.Info, p Payer) error {
		s, err := Stream(ctx, hc, t, call, p)
		if err == nil {
			s.Info, st = info, s
		}
		return err
	})
	return st, err
}

// sendFunc sends call to one orchestrator, paying through p.
type sendFunc func(ctx context.Context, t Target, info *discovery.Info, p Payer) error

// verdict is what to do after a failed attempt.
type verdict int

const (
	stop      verdict = iota // return the error
	next                     // reject the candidate, try the next
	retrySame                // try the same candidate again with fresh info
)

func (c *Client) failover(ctx context.Context, cands Candidates, call *Call, send sendFunc) error {
	want := call.Capability.Discovery()
	for {
		cand, err := cands.Next(ctx)
		if err != nil {
			return err
		}
		moveOn, err := c.try(ctx, cand, want, call, send)
		if err == nil {
			return nil
		}
		if !moveOn || ctx.Err() != nil {
			return err
		}
		c.log.DebugContext(ctx, "AI request not served, trying the next orchestrator",
			"capability", call.Capability.String(), "orchestrator", cand.Addr, "err", err)
		cands.Reject(cand, err)
	}
}

// try sends call to one candidate, with fresh info for every payment.
// moveOn reports that nothing was charged and the next candidate may be
// tried.
func (c *Client) try(ctx context.Context, cand *discovery.Info, want discovery.Capability, call *Call, send sendFunc) (moveOn bool, err error) {
	for tries := 1; ; tries++ {
		info, err := c.orchs.GetOrchestrator(ctx, cand.Addr, &want)
		if err != nil {
			return ctx.Err() == nil && !errors.Is(err, lperr.ErrClosed), err
		}
		price, err := c.check(info, want)
		if err != nil {
			return true, err
		}
		// Whether the orchestrator's request was written: the signer's
		// request, made before, goes through the same context.
		var paid, wrote atomic.Bool
		tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
			if paid.Load() {
				wrote.Store(true)
			}
		}})
		err = send(tctx, Target{URL: info.Transcoder, PricePerUnit: price}, info, c.payerFor(info, price, func() { paid.Store(true) }))
		if err == nil {
			return false, nil
		}
		if ctx.Err() != nil {
			return false, err
		}
		switch judge(err, wrote.Load()) {
		case retrySame:
			if tries < MaxTriesPerOrchestrator {
				c.log.DebugContext(ctx, "AI request: retrying the same orchestrator with fresh info",
					"orchestrator", cand.Addr, "try", tries, "err", err)
				continue
			}
			return true, err
		case next:
			return true, err
		}
		return false, err
	}
}

// check verifies that a fresh info still lists want and prices it within
// the ceiling, and returns the price in wei per unit (nil when the
// orchestrator quotes none, as off-chain ones do).
func (c *Client) check(info *discovery.Info, want discovery.Capability) (*big.Rat, error) {
	if info.Transcoder == "" {
		return nil, fmt.Errorf("aipipeline: %s: no transcoder URI in its answer: %w", info.Addr, lperr.ErrOrchestratorUnavailable)
	}
	if !info.HasCapability(want) {
		return nil, fmt.Errorf("aipipeline: %s: %w: %s", info.Addr, discovery.ErrCapabilityNotOffered, want)
	}
	p, ok := info.PriceFor(want)
	if !ok {
		return nil, nil
	}
	price := p.Rat()
	if c.maxPrice != nil && price.Cmp(c.maxPrice) > 0 {
		return nil, fmt.Errorf("aipipeline: %s: %w: %s wei per unit, ceiling %s", info.Addr, lperr.ErrPriceExceeded,
			price.RatString(), c.maxPrice.RatString())
	}
	return price, nil
}

// judge classifies a failed attempt (see Client.Run).
func judge(err error, wrote bool) verdict {
	var e *Error
	if errors.As(err, &e) {
		msg := strings.ToLower(e.Message)
		switch {
		case e.kind == kindTicketRetry && strings.Contains(msg, "ticketparams expired"):
			return retrySame
		case e.kind == kindTicketRetry, e.kind == kindNoCapacity, e.StatusCode == http.StatusServiceUnavailable:
			return next
		case e.kind == kindPayment && !e.insufficientBalance():
			return next
		case e.kind == kindUnavailable && (e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusMethodNotAllowed):
			return next
		case e.kind == kindUnavailable && e.StatusCode == 0 && !wrote:
			return next
		}
		return stop
	}
	var limit *PaymentLimitError
	if errors.As(err, &limit) {
		if limit.Limit == LimitTickets {
			return next // another orchestrator's tickets may be worth more
		}
		return stop // the fee itself is over the signer's limit
	}
	switch {
	case errors.Is(err, lperr.ErrInsufficientBalance), errors.Is(err, lperr.ErrSignerUnavailable),
		errors.Is(err, lperr.ErrUnauthorized):
		return stop
	case errors.Is(err, lperr.ErrRefreshSession):
		return retrySame
	case errors.Is(err, lperr.ErrPriceExceeded), errors.Is(err, lperr.ErrPaymentFailed),
		errors.Is(err, lperr.ErrNoTicketsNeeded):
		return next
	}
	return stop
}
