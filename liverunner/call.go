package liverunner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Request is one request to a runner's app (Call).
type Request struct {
	// Method is the HTTP method (default POST).
	Method string
	// Path is the app path, with an optional query ("v1/run?x=1"); the
	// request goes to {runner.URL}/{Path} (single-shot) or
	// {session.AppURL}/{Path} (persistent).
	Path string
	// Header is sent as it is (Content-Type included).
	Header http.Header
	// Body is the request body (nil: none).
	Body []byte
}

// Answer is an app's 2xx answer to Call. Read Response.Body, then Close.
type Answer struct {
	// Response is the app's answer, passed through by the orchestrator.
	Response *http.Response
	// Runner is the runner that answered.
	Runner Runner
	// SessionID is the persistent session the call reserved ("" for a
	// single-shot runner off-chain; the payment's manifest id on-chain).
	SessionID string

	once  sync.Once
	close func()
}

// Close releases the answer: its body, and the session or transport the
// call used (a persistent session is stopped). Idempotent.
func (a *Answer) Close() error {
	a.once.Do(a.close)
	return nil
}

// Call sends req to the first candidate whose app answers it: a
// single-shot runner gets the request itself (SingleShotTransport), a
// persistent runner a reservation, the request on its session, and a stop
// when the Answer is closed. It moves to the next candidate only while the
// request has certainly not reached an app: the orchestrator's own
// refusals (503 no capacity, 404 unknown runner, 400 wrong mode, a 402
// that is not a challenge), a proxy 502 that could not dial the runner, a
// connection that could not be made.
//
// Errors: a non-2xx answer of the app is an *AppError (errors.Is
// livepeer.ErrJobFailed), not retried; the candidates'
// *livepeer.NoOrchestratorError listing every rejection; signer errors;
// ctx's error.
func (c *Client) Call(ctx context.Context, cands Candidates, req Request, cfg CallConfig) (*Answer, error) {
	if req.Method == "" {
		req.Method = http.MethodPost
	}
	for {
		r, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		a, err := c.callOn(ctx, r, req, cfg)
		if err == nil {
			return a, nil
		}
		var ae *AppError
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("liverunner: call %s: %w", r.App, ctx.Err())
		case errors.As(err, &ae), signerStops(err), errors.Is(err, errReached):
			return nil, err
		}
		c.log.Debug("live runner did not take the request, trying the next", "runner", r.URL, "err", err)
		cands.Reject(r, err)
	}
}

// errReached marks a failure after the request may have reached the app
// (not retried elsewhere).
var errReached = errors.New("liverunner: the request may have reached the app")

// callOn sends req to r.
func (c *Client) callOn(ctx context.Context, r Runner, req Request, cfg CallConfig) (*Answer, error) {
	var (
		hc      *http.Client
		target  string
		sid     string
		cleanup func()
	)
	if r.Mode == SingleShot {
		t, err := c.SingleShot(r, cfg)
		if err != nil {
			return nil, err
		}
		hc, target, cleanup = t.Client(), t.URL(req.Path), func() { _ = t.Close() }
	} else {
		s, err := c.reserveOn(ctx, r, SessionConfig{MaxPrice: cfg.MaxPrice, PaymentInterval: cfg.PaymentInterval, OnWarning: cfg.OnWarning})
		if err != nil {
			return nil, err
		}
		hc, target, sid, cleanup = s.Client(), s.URL(req.Path), s.ID(), func() { _ = s.Close() }
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, target, bytes.NewReader(req.Body))
	if err != nil {
		cleanup()
		return nil, &lperr.ConfigError{Field: "Request", Reason: err.Error()}
	}
	if req.Body == nil {
		hreq.Body, hreq.ContentLength = http.NoBody, 0
	}
	for k, v := range req.Header {
		hreq.Header[k] = append([]string(nil), v...)
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		cleanup()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ce *lperr.ConfigError
		if errors.As(err, &ce) || signerStops(err) || errors.Is(err, lperr.ErrPaymentFailed) || errors.Is(err, lperr.ErrPriceExceeded) {
			return nil, err
		}
		if isDialError(err) {
			return nil, fmt.Errorf("liverunner: %s: %w: %w", r.URL, lperr.ErrOrchestratorUnavailable, err)
		}
		return nil, fmt.Errorf("liverunner: %s: %w: %w: %w", r.URL, errReached, lperr.ErrOrchestratorUnavailable, err)
	}
	if resp.StatusCode/100 == 2 {
		return &Answer{Response: resp, Runner: r, SessionID: sid, close: func() { resp.Body.Close(); cleanup() }}, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, lperr.MaxErrorBody))
	resp.Body.Close()
	cleanup()
	a := &answer{status: resp.StatusCode, header: resp.Header, body: body}
	if notReached(resp.StatusCode, body) || resp.StatusCode == http.StatusPaymentRequired {
		return nil, orchestratorError("call", target, a)
	}
	msg, _ := lperr.MessageFromBody(body)
	return nil, &AppError{App: r.App, Runner: r.URL, StatusCode: resp.StatusCode, Message: msg, Body: body}
}

// isDialError reports a connection that could not be made (the request
// was not sent).
func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}
