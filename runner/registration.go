package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// regLoop keeps one orchestrator's registration alive.
type regLoop struct {
	r    *Runner
	o    Orchestrator
	wake chan struct{}
	hbMu sync.Mutex // one registration or heartbeat at a time

	mu            sync.Mutex
	creds         Credentials // zero when not registered
	interval, ttl time.Duration
	heartbeats    int
	registrations int
	lastErr       error
	o2r           *o2rReader
}

// first makes the first registration: a resumed one if configured (falling
// back to a fresh one when the orchestrator has forgotten it), retried
// with backoff on network errors and 5xx until ctx ends; a refusal is
// returned at once.
func (l *regLoop) first(ctx context.Context) error {
	if res := l.o.Resume; res != nil {
		l.mu.Lock()
		l.creds = *res
		if l.creds.Orchestrator == "" {
			l.creds.Orchestrator = l.o.URL
		}
		l.mu.Unlock()
		err := l.retry(ctx, func() error { return l.heartbeat(ctx) })
		var re *RefusedError
		switch {
		case err == nil:
			l.startO2R(res.O2RURL, true)
			return nil
		case errors.As(err, &re) && forgotten(re.StatusCode):
			l.r.log.Info("runner: resumed registration is gone, registering afresh", "orchestrator", l.o.URL, "status", re.StatusCode)
			l.lost()
		default:
			l.lost()
			return err
		}
	}
	return l.retry(ctx, func() error { return l.register(ctx, l.o.RunnerID) })
}

// retry runs f until it succeeds, is refused, or ctx ends; transient
// failures wait a doubling backoff.
func (l *regLoop) retry(ctx context.Context, f func() error) error {
	wait := l.r.cfg.MinBackoff
	var last error // the last failure not caused by ctx's end
	for {
		err := f()
		var re *RefusedError
		if err == nil || (errors.As(err, &re) && re.StatusCode < 500) {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), last)
		}
		last = err
		l.r.log.Warn("runner: orchestrator unreachable, retrying", "orchestrator", l.o.URL, "in", wait, "err", err)
		if !sleep(ctx, wait) {
			return errors.Join(ctx.Err(), last)
		}
		wait = min(wait*2, l.r.cfg.MaxBackoff)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// run heartbeats at the orchestrator's interval (or at once when Update
// wakes it) until the Runner closes. A 401 or 404 means the orchestrator
// forgot the runner: its sessions end and it registers again with the
// bootstrap secret and no runner id. Failures back off.
func (l *regLoop) run() {
	defer l.r.loopWG.Done()
	ctx := l.r.ctx
	wait := l.currentInterval()
	backoff := l.r.cfg.MinBackoff
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-l.wake:
		case <-t.C:
		}
		t.Stop()
		var err error
		if l.registeredNow() {
			err = l.heartbeat(ctx)
			var re *RefusedError
			if errors.As(err, &re) && forgotten(re.StatusCode) {
				l.r.log.Info("runner: orchestrator forgot the runner, registering again", "orchestrator", l.o.URL, "status", re.StatusCode)
				l.lost()
				err = l.register(ctx, "")
			}
		} else {
			err = l.register(ctx, "")
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			l.r.log.Warn("runner: registration failed", "orchestrator", l.o.URL, "retry_in", backoff, "err", err)
			wait, backoff = backoff, min(backoff*2, l.r.cfg.MaxBackoff)
			continue
		}
		wait, backoff = l.currentInterval(), l.r.cfg.MinBackoff
	}
}

// heartbeatNow sends a heartbeat at once (Update); nothing when not registered.
func (l *regLoop) heartbeatNow(ctx context.Context) error {
	if !l.registeredNow() {
		return nil
	}
	ctx, stop := mergeCancel(ctx, l.r.ctx)
	defer stop()
	err := l.heartbeat(ctx)
	var re *RefusedError
	if errors.As(err, &re) && forgotten(re.StatusCode) {
		select { // let the loop register again now
		case l.wake <- struct{}{}:
		default:
		}
	}
	return err
}

func (l *regLoop) registeredNow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.creds.HeartbeatSecret != ""
}

func (l *regLoop) currentInterval() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.interval <= 0 {
		return defaultHeartbeatInterval
	}
	return l.interval
}

// register sends a first registration with the bootstrap secret.
func (l *regLoop) register(ctx context.Context, runnerID string) error {
	l.hbMu.Lock()
	defer l.hbMu.Unlock()
	body := l.r.Registration().wire(runnerID, nil)
	var resp heartbeatResponse
	if err := l.post(ctx, "register", "/runners/heartbeat", l.o.Secret, body, &resp); err != nil {
		l.setErr(err)
		return err
	}
	if resp.RunnerID == "" || resp.HeartbeatSecret == "" {
		err := fmt.Errorf("runner: register at %s: answer has no runner_id or heartbeat_secret", l.o.URL)
		l.setErr(err)
		return err
	}
	orch := resp.Orchestrator
	if orch == "" {
		orch = l.o.URL
	}
	o2r := ""
	if resp.O2R != nil {
		o2r = resp.O2R.URL
	}
	l.mu.Lock()
	l.creds = Credentials{RunnerID: resp.RunnerID, HeartbeatSecret: resp.HeartbeatSecret, Orchestrator: orch, O2RURL: o2r}
	l.interval = parseDuration(resp.HeartbeatInterval, defaultHeartbeatInterval)
	l.ttl = parseDuration(resp.HeartbeatTTL, defaultHeartbeatTTL)
	l.registrations++
	l.lastErr = nil
	l.mu.Unlock()
	l.r.log.Info("runner: registered", "orchestrator", l.o.URL, "runner_id", resp.RunnerID, "interval", l.currentInterval())
	l.startO2R(o2r, false)
	l.r.reconcile(l, resp.RunnerID, orch, resp.SessionIDs, time.Now())
	return nil
}

// heartbeat sends the registration with the heartbeat secret and
// reconciles the sessions against the answer's session_ids.
func (l *regLoop) heartbeat(ctx context.Context) error {
	l.hbMu.Lock()
	defer l.hbMu.Unlock()
	l.mu.Lock()
	creds := l.creds
	l.mu.Unlock()
	if creds.HeartbeatSecret == "" {
		return nil
	}
	sent := time.Now()
	body := l.r.Registration().wire(creds.RunnerID, l.r.sessionIDs(l))
	var resp heartbeatResponse
	if err := l.post(ctx, "heartbeat", "/runners/heartbeat", creds.HeartbeatSecret, body, &resp); err != nil {
		l.setErr(err)
		return err
	}
	l.mu.Lock()
	if resp.Orchestrator != "" {
		l.creds.Orchestrator = resp.Orchestrator
	}
	l.interval = parseDuration(resp.HeartbeatInterval, defaultHeartbeatInterval)
	l.ttl = parseDuration(resp.HeartbeatTTL, defaultHeartbeatTTL)
	l.heartbeats++
	l.lastErr = nil
	orch := l.creds.Orchestrator
	l.mu.Unlock()
	l.r.log.Debug("runner: heartbeat", "orchestrator", l.o.URL, "runner_id", creds.RunnerID, "sessions", len(resp.SessionIDs))
	l.r.reconcile(l, creds.RunnerID, orch, resp.SessionIDs, sent)
	return nil
}

// unregister withdraws the registration (POST /runners/{id}/unregister).
// A registration the orchestrator already forgot (401, 404) is not an error.
func (l *regLoop) unregister(ctx context.Context) error {
	l.hbMu.Lock()
	defer l.hbMu.Unlock()
	l.mu.Lock()
	creds := l.creds
	l.mu.Unlock()
	defer l.lost()
	if creds.HeartbeatSecret == "" {
		return nil
	}
	err := l.post(ctx, "unregister", "/runners/"+url.PathEscape(creds.RunnerID)+"/unregister", creds.HeartbeatSecret, nil, nil)
	var re *RefusedError
	if errors.As(err, &re) && forgotten(re.StatusCode) {
		return nil
	}
	if err == nil {
		l.r.log.Info("runner: unregistered", "orchestrator", l.o.URL, "runner_id", creds.RunnerID)
	}
	return err
}

// lost forgets the registration: the O2R reader stops and every session of
// this orchestrator ends.
func (l *regLoop) lost() {
	l.mu.Lock()
	o2r := l.o2r
	l.o2r = nil
	l.creds = Credentials{}
	l.mu.Unlock()
	o2r.stop()
	l.r.endLoopSessions(l, "registration lost")
}

func (l *regLoop) setErr(err error) {
	l.mu.Lock()
	l.lastErr = err
	l.mu.Unlock()
}

func (l *regLoop) status() OrchestratorStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return OrchestratorStatus{
		URL: l.o.URL, Registered: l.creds.HeartbeatSecret != "", RunnerID: l.creds.RunnerID,
		Interval: l.interval, TTL: l.ttl, Heartbeats: l.heartbeats, Registrations: l.registrations, LastError: l.lastErr,
	}
}

func (l *regLoop) credentials() Credentials {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.creds
}

// post sends one JSON POST to the orchestrator with the Authorization
// header and decodes a 200 answer into out. Error statuses become a
// *RefusedError carrying the plain-text body.
func (l *regLoop) post(ctx context.Context, op, path, auth string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, l.r.cfg.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(l.o.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := l.r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("runner: %s at %s: %w", op, l.o.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("runner: %s at %s: %w", op, l.o.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		return &RefusedError{Orchestrator: l.o.URL, Op: op, StatusCode: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("runner: %s at %s: bad answer: %w", op, l.o.URL, err)
	}
	return nil
}
