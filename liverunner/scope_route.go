package liverunner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// OrchestratorCandidates hands out orchestrators to try, best first.
// *discovery.Selector implements it.
type OrchestratorCandidates interface {
	Next(ctx context.Context) (*discovery.Info, error)
	Reject(info *discovery.Info, err error)
}

// ScopeRoute is Scope started on an orchestrator's own /scope route.
type ScopeRoute struct {
	// Orchestrator is the orchestrator running it.
	Orchestrator *discovery.Info
	// Channels are the start answer's channels: on go-livepeer master,
	// control and events only (publish_url and subscribe_url are "").
	Channels VideoChannels
	// Payment pays it: POST {orchestrator}/payment, as live-video-to-video
	// (the challenge's payment_url). nil off-chain.
	Payment *payment.Session
}

// Pay sends the next payment (nothing off-chain).
func (s *ScopeRoute) Pay(ctx context.Context) error {
	if s.Payment == nil {
		return lperr.ErrNoTicketsNeeded
	}
	return s.Payment.SendLV2V(ctx)
}

// Close closes the payment session (the stream ends when its control
// channel is deleted or its payments stop).
func (s *ScopeRoute) Close() error {
	if s.Payment == nil {
		return nil
	}
	return s.Payment.Close()
}

// StartScopeRoute starts Scope (job: the live-video-to-video job JSON) on
// the first orchestrator that takes it at POST {transcoder}/scope
// (go-livepeer StartScope): on-chain the orchestrator answers 402 with a
// challenge for live-video-to-video/scope (payment_url {orchestrator}/payment),
// paid with a "lv2v" payment before the POST is repeated; the answer is
// the job JSON. refresh re-fetches an orchestrator's info when the signer
// asks (nil: a refresh request fails the payment). timeout bounds each
// start request (0: the Client's). Failover and errors are those of
// lv2v.Client.Start: every refusal is recorded, an out-of-credit or
// unreachable signer ends the search.
func (c *Client) StartScopeRoute(ctx context.Context, hc Doer, cands OrchestratorCandidates, job []byte, timeout time.Duration,
	refresh func(*discovery.Info) payment.RefreshFunc) (*ScopeRoute, error) {
	if timeout <= 0 {
		timeout = c.timeout
	}
	for {
		info, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		st, err := c.scopeOn(ctx, hc, info, job, timeout, refresh)
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("liverunner: scope: %w", ctx.Err())
		}
		if signerStops(err) {
			return nil, err
		}
		c.log.Debug("scope start refused, trying the next orchestrator", "orchestrator", info.Addr, "err", err)
		cands.Reject(info, err)
	}
}

func (c *Client) scopeOn(ctx context.Context, hc Doer, info *discovery.Info, job []byte, timeout time.Duration,
	refresh func(*discovery.Info) payment.RefreshFunc) (*ScopeRoute, error) {
	var rf payment.RefreshFunc
	if refresh != nil {
		rf = refresh(info)
	}
	st, err := c.scopeAt(ctx, hc, strings.TrimRight(info.Transcoder, "/")+"/scope", info.Addr, job, timeout, rf)
	if err != nil {
		return nil, err
	}
	st.Orchestrator = info
	return st, nil
}

// scopeAt starts Scope at target (an orchestrator's /scope route, given
// directly or as a serverless runner's URL) for the orchestrator at addr:
// POST with Livepeer-Payer-Address (on-chain), the 402 challenge paid with
// an "lv2v" payment (refresh: nil asks target for a fresh challenge with
// the job, on a connection of its own), the POST again, the job JSON. The answer's Orchestrator holds
// addr and the challenge's transcoder.
func (c *Client) scopeAt(ctx context.Context, hc Doer, target, addr string, job []byte, timeout time.Duration, refresh payment.RefreshFunc) (*ScopeRoute, error) {
	payer, err := c.payerAddress(ctx)
	if err != nil {
		return nil, err
	}
	var (
		pay  *payment.Session
		orch = &discovery.Info{Addr: addr, Transcoder: addr}
	)
	fail := func(err error) (*ScopeRoute, error) {
		if pay != nil {
			_ = pay.Close()
		}
		return nil, err
	}
	for round := 0; ; round++ {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		req, err := http.NewRequestWithContext(rctx, http.MethodPost, target, bytes.NewReader(job))
		if err != nil {
			cancel()
			return fail(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if payer != "" {
			req.Header.Set(HeaderPayerAddress, payer)
		}
		if pay != nil {
			p, err := pay.Next(ctx)
			if err != nil {
				cancel()
				return fail(err)
			}
			setPaymentHeaders(req.Header, p)
		}
		a, err := do(hc, req)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("liverunner: scope at %s: %w: %w", target, lperr.ErrOrchestratorUnavailable, err))
		}
		switch a.status {
		case http.StatusOK:
			var ch VideoChannels
			if err := json.Unmarshal(a.body, &ch); err != nil || ch.ManifestID == "" {
				return fail(fmt.Errorf("liverunner: scope answer of %s has no manifest_id: %w", target, lperr.ErrOrchestratorUnavailable))
			}
			if pay != nil {
				pay.SetManifestID(ch.ManifestID)
			}
			return &ScopeRoute{Orchestrator: orch, Channels: ch, Payment: pay}, nil
		case http.StatusPaymentRequired:
			ch, perr := parseChallenge(a.body, addr)
			if errors.Is(perr, errNoChallenge) {
				e := orchestratorError("scope", target, a)
				if !c.onchain() {
					return fail(fmt.Errorf("%w: %w", ErrNotPaid, e))
				}
				return fail(e)
			}
			if perr != nil {
				return fail(perr)
			}
			if !c.onchain() {
				return fail(ErrNotPaid)
			}
			if round+1 >= maxChallenges {
				return fail(fmt.Errorf("liverunner: %s challenged %d payments in a row: %w", target, maxChallenges, lperr.ErrPaymentFailed))
			}
			if pay != nil {
				_ = pay.Close()
			}
			cp := discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "scope"}
			ch.info.Requested = &cp
			orch = &discovery.Info{Addr: addr, Transcoder: ch.info.Transcoder}
			rf := refresh
			if rf == nil {
				rf = c.refresher(nil, target, job, ch)
			}
			cfg := payment.Config{Signer: c.signer, Info: ch.info, Type: signer.TypeLV2V, ManifestID: ch.manifestID, Capability: &cp, Refresh: rf, Logger: c.log}
			if pay, err = payment.NewSession(cfg); err != nil {
				return fail(err)
			}
		default:
			return fail(orchestratorError("scope", target, a))
		}
	}
}
