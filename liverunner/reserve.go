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
)

// SessionConfig tunes a reservation. The zero value is valid.
type SessionConfig struct {
	// Body is sent with the reservation request (go-livepeer ignores it;
	// nil sends none) with ContentType (default application/json).
	Body        []byte
	ContentType string
	// PaymentInterval is how often the session pays (default
	// DefaultPaymentInterval; keep it below the orchestrator's
	// -livePaymentInterval, 5 s by default).
	PaymentInterval time.Duration
	// MaxPrice goes to the signer as maxPrice (its unit must be the
	// runner's); nil sends none.
	MaxPrice *Price
	// MaxFailures ends the session after this many payments in a row
	// that could not reach the orchestrator (default DefaultMaxFailures).
	MaxFailures int
	// OnWarning, when set, is called (from the session's payment
	// goroutine; return quickly) for each Warning.
	OnWarning func(Warning)
}

// Reserve reserves a session on the first candidate that accepts one and
// returns it running (paid on a timer when priced). For each runner: POST
// {runner.URL} with Livepeer-Payer-Address (on-chain); a 402 challenge is
// paid through the signer (type by the runner's price unit, maxPrice from
// cfg) and the POST repeated with Livepeer-Payment and Livepeer-Segment;
// the 200 answer {session_id, app_url, control_url} makes the Session.
//
// It moves to the next candidate on a refusal (503 no capacity, 404 gone,
// unhealthy or draining, 409, a 402 that is not a challenge, a transport
// error) and records why; an out-of-credit or unreachable signer ends the
// search (the next runner would fail the same way). A single-shot runner is
// refused (it has no sessions).
//
// Errors: the candidates' *livepeer.NoOrchestratorError listing every
// rejection (errors.Is livepeer.ErrNoOrchestrator; errors.As gives the
// list); signer errors (livepeer.ErrInsufficientBalance,
// ErrSignerUnavailable...); ctx's error. A reservation cancelled by ctx
// returns once the session the orchestrator may have reserved for it is
// stopped (at most the Client's RequestTimeout later), so none is left
// behind.
func (c *Client) Reserve(ctx context.Context, cands Candidates, cfg SessionConfig) (*Session, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	for {
		r, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		if r.Mode == SingleShot {
			cands.Reject(r, fmt.Errorf("%w: a single-shot runner has no sessions", ErrFiltered))
			continue
		}
		s, err := c.reserveOn(ctx, r, cfg)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("liverunner: reserve %s: %w", r.App, ctx.Err())
		}
		if signerStops(err) {
			return nil, err
		}
		c.log.Debug("live runner refused the reservation, trying the next", "runner", r.URL, "err", err)
		cands.Reject(r, err)
	}
}

// normalize checks cfg and applies the defaults.
func (cfg *SessionConfig) normalize() error {
	if cfg.PaymentInterval < 0 || cfg.MaxFailures < 0 {
		return &lperr.ConfigError{Field: "SessionConfig", Reason: "PaymentInterval and MaxFailures must not be negative"}
	}
	if cfg.PaymentInterval == 0 {
		cfg.PaymentInterval = DefaultPaymentInterval
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.ContentType == "" {
		cfg.ContentType = "application/json"
	}
	return nil
}

// reserveOn reserves a session on r.
func (c *Client) reserveOn(ctx context.Context, r Runner, cfg SessionConfig) (*Session, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	payer, err := c.payerAddress(ctx)
	if err != nil {
		return nil, err
	}
	ctlTr := c.orchTransport()
	ctl := &http.Client{Transport: ctlTr}
	var (
		ch  *challenge
		pay *payment.Session
	)
	fail := func(err error) (*Session, error) {
		if pay != nil {
			_ = pay.Close()
		}
		ctlTr.CloseIdleConnections()
		return nil, err
	}
	for round := 0; ; round++ {
		hdr := http.Header{}
		hdr.Set("Content-Type", cfg.ContentType)
		if payer != "" {
			hdr.Set(HeaderPayerAddress, payer)
		}
		if pay != nil {
			p, err := pay.Next(ctx)
			if err != nil {
				return fail(err)
			}
			setPaymentHeaders(hdr, p)
		}
		a, err := c.sendReserve(ctx, ctl, r.URL, hdr, cfg.Body)
		if err != nil {
			return fail(err)
		}
		switch a.status {
		case http.StatusOK:
			s, err := c.newSession(r, a.body, ch, pay, ctlTr, ctl, cfg)
			if err != nil {
				return fail(err)
			}
			return s, nil
		case http.StatusPaymentRequired:
			next, perr := parseChallenge(a.body, r.URL)
			if errors.Is(perr, errNoChallenge) {
				e := orchestratorError("reserve", r.URL, a)
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
				return fail(fmt.Errorf("liverunner: %s challenged %d payments in a row: %w", r.URL, maxChallenges, lperr.ErrPaymentFailed))
			}
			if pay != nil {
				_ = pay.Close()
			}
			typ, err := paymentType(r, cfg.MaxPrice)
			if err != nil {
				return fail(err)
			}
			ch = next
			if pay, err = c.newPayment(ch, typ, cfg.MaxPrice, c.refresher(ctl, r.URL, nil, ch)); err != nil {
				return fail(err)
			}
		default:
			return fail(orchestratorError("reserve", r.URL, a))
		}
	}
}

// sendReserve POSTs a reservation. The request is not abandoned when ctx
// ends: the orchestrator may reserve a session for it, so the answer is
// awaited (at most the Client's RequestTimeout) and a session it reserved
// is stopped before ctx's error is returned.
func (c *Client) sendReserve(ctx context.Context, hc Doer, target string, hdr http.Header, body []byte) (*answer, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	type result struct {
		a   *answer
		err error
	}
	res := make(chan result, 1)
	go func() {
		req, err := http.NewRequestWithContext(rctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			res <- result{nil, err}
			return
		}
		req.Header = hdr
		a, err := do(hc, req)
		res <- result{a, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			return nil, fmt.Errorf("liverunner: reserve at %s: %w: %w", target, lperr.ErrOrchestratorUnavailable, r.err)
		}
		return r.a, nil
	case <-ctx.Done():
	}
	r := <-res
	if r.err == nil && r.a.status == http.StatusOK {
		var sa sessionAnswer
		_ = json.Unmarshal(r.a.body, &sa)
		control := sa.ControlURL
		if control == "" && sa.SessionID != "" {
			control = joinPath(target, sa.SessionID)
		}
		if control != "" {
			sctx, scancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
			if err := c.stopSession(sctx, hc, control); err != nil {
				c.log.Warn("live runner: could not stop the session a cancelled reservation made", "control_url", control, "err", err)
			}
			scancel()
		}
	}
	return nil, ctx.Err()
}

// newSession makes the Session of a 200 reservation answer and starts its
// payments. On error the reserved session is stopped.
func (c *Client) newSession(r Runner, body []byte, ch *challenge, pay *payment.Session, ctlTr *http.Transport, ctl *http.Client, cfg SessionConfig) (*Session, error) {
	var sa sessionAnswer
	jerr := json.Unmarshal(body, &sa)
	if sa.SessionID == "" && ch != nil {
		sa.SessionID = ch.manifestID
	}
	if sa.ControlURL == "" && sa.SessionID != "" {
		sa.ControlURL = joinPath(r.URL, sa.SessionID) // {svc}/apps/{route}/session/{sid}
	}
	bad := func(reason string) error {
		if sa.ControlURL != "" {
			sctx, cancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
			_ = c.stopSession(sctx, ctl, sa.ControlURL)
			cancel()
		}
		return fmt.Errorf("liverunner: reservation answer of %s %s: %w", r.URL, reason, lperr.ErrOrchestratorUnavailable)
	}
	switch {
	case jerr != nil:
		return nil, bad("is not JSON: " + jerr.Error())
	case sa.SessionID == "":
		return nil, bad("has no session_id")
	case sa.AppURL == "":
		return nil, bad("has no app_url")
	}
	host, err := hostOf(sa.AppURL)
	if err != nil {
		return nil, bad("app_url " + err.Error())
	}
	s := &Session{
		c: c, runner: r, id: sa.SessionID, appURL: strings.TrimRight(sa.AppURL, "/"), controlURL: strings.TrimRight(sa.ControlURL, "/"),
		answer: append(json.RawMessage(nil), body...), log: c.log, tr: newConnTransport(host, c.pins), ctlTr: ctlTr, ctl: ctl,
		pay: pay, done: make(chan struct{}),
	}
	s.rt = &sessionTransport{s: s, host: host}
	s.client = &http.Client{Transport: s.rt}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if pay != nil && (r.Price == nil || !strings.EqualFold(r.Price.Unit, UnitFixed)) {
		s.payer = &payer{
			hc: ctl, pay: pay, url: joinPath(s.controlURL, "payment"), ceiling: ch.info.Price.Rat(),
			interval: cfg.PaymentInterval, timeout: c.timeout, maxFailures: cfg.MaxFailures, session: s.id,
			warn: cfg.OnWarning, log: c.log,
		}
		pay.SetManifestID(s.id)
	}
	s.start()
	c.log.Debug("live runner session reserved", "runner", r.URL, "session_id", s.id, "app_url", s.appURL)
	return s, nil
}

// challengeFor asks target for a fresh 402 challenge: a POST without
// payment headers (with body, which /scope decodes first) reserves nothing.
func (c *Client) challengeFor(ctx context.Context, hc Doer, target string, body []byte) (*challenge, error) {
	payer, err := c.payerAddress(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(HeaderPayerAddress, payer)
	a, err := do(hc, req)
	if err != nil {
		return nil, fmt.Errorf("liverunner: challenge from %s: %w: %w", target, lperr.ErrOrchestratorUnavailable, err)
	}
	if a.status != http.StatusPaymentRequired {
		return nil, orchestratorError("challenge", target, a)
	}
	return parseChallenge(a.body, target)
}

// refresher answers the signer's refresh request (480: the ticket
// parameters are about to expire) with the terms of a new 402 challenge
// from target, keeping ch's auth token (the session's manifest). It is
// called with the payment session's lock held: it only does HTTP. A nil
// hc uses a transport of its own for each call.
func (c *Client) refresher(hc Doer, target string, body []byte, ch *challenge) payment.RefreshFunc {
	return func(ctx context.Context) (*discovery.Info, error) {
		d := hc
		if d == nil { // a client of its own, closed after the call
			tr := c.orchTransport()
			defer tr.CloseIdleConnections()
			d = &http.Client{Transport: tr}
		}
		fresh, err := c.challengeFor(ctx, d, target, body)
		if err != nil {
			return nil, err
		}
		return withAuthToken(fresh.info, ch.info)
	}
}
