package liverunner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// Session is a reserved persistent live-runner session: the app's base
// URL (AppURL), an HTTP client that reaches it (Client, Transport), and
// payments on a timer underneath. Any Go HTTP, server-sent-events or
// WebSocket library works with Client unchanged (WebSockets go over
// HTTP/1.1, which go-livepeer's proxy requires).
//
// A Session ends when Close or Stop is called, when the orchestrator
// releases it (ErrSessionReleased; out of prepaid time: also
// livepeer.ErrInsufficientBalance) or when payments cannot reach the
// orchestrator (livepeer.ErrOrchestratorUnavailable); Done is closed then
// and Err says why. Close tells the orchestrator (POST {control_url}/stop),
// is idempotent and waits for the session's goroutines and connections.
// Methods are safe for concurrent use.
type Session struct {
	c          *Client
	runner     Runner
	id         string
	appURL     string
	controlURL string
	answer     json.RawMessage
	log        *slog.Logger

	tr     *connTransport  // every connection of the app's requests
	ctlTr  *http.Transport // control requests (payments, stop)
	ctl    *http.Client
	client *http.Client // the user's
	rt     http.RoundTripper
	pay    *payment.Session // nil when free
	payer  *payer           // nil when free or fixed-price

	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}

	mu       sync.Mutex
	err      error
	closing  bool
	released bool
	stopOnce sync.Once
	stopErr  error
	doneOnce sync.Once
}

// ID returns the session id (on-chain, the payment's manifest id).
func (s *Session) ID() string { return s.id }

// Runner returns the runner the session is reserved on.
func (s *Session) Runner() Runner { return s.runner }

// AppURL returns the app's base URL on the orchestrator, without a
// trailing slash: ANY {AppURL}/{path} reaches {runner_url}/{path}.
func (s *Session) AppURL() string { return s.appURL }

// ControlURL returns the session's control URL ({ControlURL}/stop,
// {ControlURL}/payment).
func (s *Session) ControlURL() string { return s.controlURL }

// URL returns {AppURL}/{path} (path may carry a query).
func (s *Session) URL(path string) string { return joinPath(s.appURL, path) }

// Answer returns the reservation's JSON answer as received.
func (s *Session) Answer() json.RawMessage { return append(json.RawMessage(nil), s.answer...) }

// Client returns an *http.Client whose requests to the session's
// orchestrator use the session's connections (see Transport). It has no
// timeout: bound requests with their context.
func (s *Session) Client() *http.Client { return s.client }

// Transport returns the session's RoundTripper: HTTP/1.1 to the
// orchestrator that holds the session (its self-signed certificate is not
// verified), connections kept alive and reused. A request to another
// host fails with a *livepeer.ConfigError; requests in flight end when
// the session ends, and later ones fail with the session's end
// (errors.Is livepeer.ErrClosed after Close).
func (s *Session) Transport() http.RoundTripper { return s.rt }

// Payments returns how many payments the orchestrator accepted, the
// reservation's included (0 off-chain).
func (s *Session) Payments() int {
	n := 0
	if s.pay != nil {
		n = 1
	}
	if s.payer != nil {
		n += s.payer.count()
	}
	return n
}

// Done returns a channel closed once the session has ended and its
// goroutines stopped (after Close: once the stop request was answered).
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended by itself: nil while it runs and after
// Close; an error wrapping ErrSessionReleased (and
// livepeer.ErrInsufficientBalance after failed payments) or
// livepeer.ErrOrchestratorUnavailable.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// endErr is the error requests get once the session ended.
func (s *Session) endErr() error {
	if err := s.Err(); err != nil {
		return err
	}
	return fmt.Errorf("liverunner: session %s: %w", s.id, lperr.ErrClosed)
}

// Close stops the session (see Stop) with a DefaultStopTimeout bound.
func (s *Session) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
	defer cancel()
	return s.Stop(ctx)
}

// Stop ends the session: payments stop, requests in flight end, POST
// {control_url}/stop releases it on the orchestrator (not sent when the
// orchestrator already released it), every connection is closed. It is
// idempotent (later calls return the first result) and waits for every
// goroutine. The error is the stop request's: ctx's, or a
// *livepeer.APIError when the orchestrator refused (a stop of a released
// session is 204 on go-livepeer; 404 means the runner itself is gone,
// which is not an error here).
func (s *Session) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
		s.mu.Lock()
		released := s.released
		s.mu.Unlock()
		if !released {
			s.stopErr = s.c.stopSession(ctx, s.ctl, s.controlURL)
		}
		if s.pay != nil {
			_ = s.pay.Close()
		}
		s.tr.closeAll()
		s.ctlTr.CloseIdleConnections()
		s.log.Debug("live runner session closed", "session_id", s.id, "runner", s.runner.URL)
		s.doneOnce.Do(func() { close(s.done) })
	})
	return s.stopErr
}

// start runs the session's payment loop (or waits for its end).
func (s *Session) start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var err error
		if s.payer != nil {
			err = s.payer.run(s.ctx)
		} else {
			<-s.ctx.Done()
		}
		if err == nil {
			return
		}
		s.mu.Lock()
		closing := s.closing
		if s.err == nil && !closing {
			s.err = err
			s.released = errors.Is(err, ErrSessionReleased)
		}
		s.mu.Unlock()
		if closing {
			return
		}
		s.log.Debug("live runner session ended", "session_id", s.id, "err", err)
		s.cancel()
		// The session is over: release its connections now; Close still
		// sends a stop when the orchestrator has not released it.
		s.tr.closeAll()
		s.doneOnce.Do(func() { close(s.done) })
	}()
}

// stopSession sends POST {control}/stop. 204 (also for a session already
// gone) and 404 (the runner is gone) are fine.
func (c *Client) stopSession(ctx context.Context, hc Doer, control string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, joinPath(control, "stop"), http.NoBody)
	if err != nil {
		return err
	}
	a, err := do(hc, req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("liverunner: stop %s: %w", control, ctx.Err())
		}
		return fmt.Errorf("liverunner: stop %s: %w: %w", control, lperr.ErrOrchestratorUnavailable, err)
	}
	if a.status/100 == 2 || a.status == http.StatusNotFound {
		return nil
	}
	return orchestratorError("stop", control, a)
}
