package livepeertest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Runner modes and static routing values (go-livepeer ai/runner/live_runner.go).
const (
	runnerModePersistent = "persistent"
	runnerModeSingleShot = "single-shot"
	runnerRoutingID      = "runner-id"
	runnerRoutingLabel   = "label"
)

// regRunner is one registered runner. Every field after o2r is guarded by
// RunnerRegistry.mu.
type regRunner struct {
	seed            []byte
	heartbeatSecret string // "" for static runners
	static          bool
	o2r             *o2rChannel // dynamic runners only

	req           runnerHeartbeat // the current registration, normalised
	lastHeartbeat time.Time
	removed       bool
	healthURL     string
	healthStatus  int
	route         string
	sessions      map[string]*regSession
}

func (rr *regRunner) sessionToken(sessionID string) string {
	return deriveRunnerSecret(rr.seed, "session:"+sessionID)
}

// ready is go-livepeer's isReadyStatus.
func (rr *regRunner) ready() bool { return rr.req.Status == "" || rr.req.Status == "ready" }

// expired is go-livepeer's liveRunnerExpiredLocked: static runners never expire.
func (r *RunnerRegistry) expiredLocked(rr *regRunner, now time.Time) bool {
	return !rr.static && now.Sub(rr.lastHeartbeat) > r.cfg.HeartbeatTTL
}

// runnerLocked is go-livepeer's lockLiveRunner: 404 for an unknown, removed
// or expired runner (readiness is checked by the callers that need it).
func (r *RunnerRegistry) runnerLocked(route string) (*regRunner, error) {
	rr := r.runners[route]
	if rr == nil || rr.removed || r.expiredLocked(rr, time.Now()) {
		return nil, errRunnerNotFound()
	}
	return rr, nil
}

// heartbeat is go-livepeer's LiveRunnerRegistry.Heartbeat.
func (r *RunnerRegistry) heartbeat(req runnerHeartbeat, auth string) (*runnerHeartbeatResponse, error) {
	req.RunnerID = strings.TrimSpace(req.RunnerID)
	if req.RunnerID == "" {
		req.RunnerID = "runner_" + runnerRandom(runnerIDRandomBytes)
	}
	req, err := r.normalize(req.RunnerID, req)
	if err != nil {
		return nil, &runnerError{http.StatusBadRequest, err.Error()}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, &runnerError{http.StatusNotFound, "live runners are not supported"}
	}
	resp := &runnerHeartbeatResponse{
		RunnerID: req.RunnerID, Orchestrator: r.runnerURI(),
		HeartbeatInterval: r.cfg.HeartbeatInterval.String(), HeartbeatTTL: r.cfg.HeartbeatTTL.String(),
	}
	rr := r.runners[req.RunnerID]
	if rr == nil {
		if r.cfg.Secret == "" {
			return nil, &runnerError{http.StatusNotFound, "dynamic live runner registration is disabled"}
		}
		if !validRunnerSecret(auth, r.cfg.Secret) {
			return nil, &runnerError{http.StatusUnauthorized, "invalid registration authorization"}
		}
		seed := newRunnerSeed()
		rr = &regRunner{seed: seed, heartbeatSecret: deriveRunnerSecret(seed, "heartbeat"), sessions: map[string]*regSession{}}
		name := req.RunnerID + "-" + deriveRunnerSecret(seed, "trickle:o2r")[:16] + "-o2r"
		if rr.o2r, err = r.startO2R(name); err != nil {
			return nil, err
		}
		rr.req, rr.lastHeartbeat, rr.route = req, time.Now(), req.RunnerID
		r.runners[req.RunnerID] = rr
		r.log.Debug("livepeertest: live runner registered", "runner_id", req.RunnerID, "app", req.App, "runner_url", req.RunnerURL)
		resp.HeartbeatSecret = rr.heartbeatSecret
		desc := rr.o2r.desc
		resp.O2R = &desc
		resp.SessionIDs = rr.sessionIDsLocked()
		return resp, nil
	}
	if rr.removed || r.expiredLocked(rr, time.Now()) {
		return nil, errRunnerNotFound()
	}
	if !validRunnerSecret(auth, rr.heartbeatSecret) {
		return nil, &runnerError{http.StatusUnauthorized, "invalid heartbeat authorization"}
	}
	if rr.static {
		return nil, &runnerError{http.StatusBadRequest, "static runner cannot heartbeat"}
	}
	rr.req, rr.lastHeartbeat, rr.route = req, time.Now(), req.RunnerID
	resp.SessionIDs = rr.sessionIDsLocked()
	return resp, nil
}

// unregister is go-livepeer's LiveRunnerRegistry.Unregister.
func (r *RunnerRegistry) unregister(runnerID, auth string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, err := r.runnerLocked(runnerID)
	if err != nil {
		return err
	}
	if rr.static {
		return &runnerError{http.StatusBadRequest, "static runner cannot unregister with heartbeat credentials"}
	}
	if !validRunnerSecret(auth, rr.heartbeatSecret) {
		return &runnerError{http.StatusUnauthorized, "invalid authorization"}
	}
	r.dropRunnerLocked(rr, "unregister")
	return nil
}

// dropRunnerLocked is go-livepeer's removeRunnerWithRunnerLocked: the O2R
// channel is closed first (so the "released" events of the sessions it
// then releases are not delivered, as on master), then every session.
func (r *RunnerRegistry) dropRunnerLocked(rr *regRunner, reason string) {
	rr.removed = true
	r.log.Debug("livepeertest: live runner deregistered", "runner_id", rr.req.RunnerID, "reason", reason)
	rr.o2r.close()
	for id := range rr.sessions {
		r.releaseLocked(rr, id)
	}
	if r.runners[rr.route] == rr {
		delete(r.runners, rr.route)
	}
}

// normalize is go-livepeer's normalizeHeartbeat.
func (r *RunnerRegistry) normalize(runnerID string, req runnerHeartbeat) (runnerHeartbeat, error) {
	u, err := url.ParseRequestURI(req.RunnerURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return req, fmt.Errorf("invalid runner_url")
	}
	if req.App == "" || req.App != strings.TrimSpace(req.App) {
		return req, fmt.Errorf("app must be trimmed")
	}
	if err := validateRunnerMetadata(req.Metadata); err != nil {
		return req, err
	}
	if req.Status != strings.ToLower(strings.TrimSpace(req.Status)) {
		return req, fmt.Errorf("status must be lowercase and trimmed")
	}
	switch req.Mode {
	case "":
		req.Mode = runnerModePersistent
	case "single_shot":
		req.Mode = runnerModeSingleShot
	}
	if req.Mode != runnerModePersistent && req.Mode != runnerModeSingleShot {
		return req, fmt.Errorf("mode must be %q or %q", runnerModePersistent, runnerModeSingleShot)
	}
	if req.Capacity < 0 {
		return req, fmt.Errorf("capacity must be >= 0")
	}
	if req.Capacity == 0 {
		req.Capacity = 1
	}
	req.RunnerID = runnerID
	if req.GPU != nil {
		g := *req.GPU
		req.GPU = &g
	}
	if r.o.offchain {
		return req, nil
	}
	if req.PriceInfo, err = normalizeUSDPrice(req.PriceInfo); err != nil {
		return req, err
	}
	return req, nil
}

// validateRunnerMetadata is go-livepeer's ValidateLiveRunnerMetadata.
func validateRunnerMetadata(m string) error {
	if len(m) > maxRunnerMetadata {
		return fmt.Errorf("metadata must be at most %d bytes", maxRunnerMetadata)
	}
	if !utf8.ValidString(m) {
		return fmt.Errorf("metadata must be valid UTF-8")
	}
	if strings.ContainsRune(m, utf8.RuneError) {
		return fmt.Errorf("metadata must not contain Unicode replacement character U+FFFD")
	}
	return nil
}

// expiryLoop is go-livepeer's expiryLoop: every heartbeat interval, remove
// the dynamic runners whose TTL has passed.
func (r *RunnerRegistry) expiryLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case now := <-t.C:
			r.mu.Lock()
			for route, rr := range r.runners {
				if rr.route == route && !rr.removed && r.expiredLocked(rr, now) {
					r.dropRunnerLocked(rr, "heartbeat timeout")
				}
			}
			r.mu.Unlock()
		}
	}
}

// Knobs for tests of runner SDKs.

// ExpireRunner makes a dynamic runner look as if its heartbeats stopped a
// TTL ago: it leaves discovery at once, its calls and heartbeats get 404,
// and the next expiry sweep removes it (heartbeats then get 401, as on
// go-livepeer). It reports whether such a runner was registered.
func (r *RunnerRegistry) ExpireRunner(runnerID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr := r.runners[runnerID]
	if rr == nil || rr.static || rr.removed {
		return false
	}
	rr.lastHeartbeat = time.Now().Add(-r.cfg.HeartbeatTTL - time.Second)
	return true
}

// ForgetRunner removes a runner at once, as the expiry sweep would after
// its TTL (sessions released, O2R channel terminated); its next heartbeat
// gets 401 "invalid registration authorization". It reports whether the
// runner was registered.
func (r *RunnerRegistry) ForgetRunner(runnerID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr := r.runners[runnerID]
	if rr == nil || rr.removed {
		return false
	}
	r.dropRunnerLocked(rr, "forgotten")
	return true
}

// runnerURI is the runner-facing base URL (go-livepeer liveRunnerURI:
// -liveRunnerAddr, else the service URI). In-process both are o.URL().
func (r *RunnerRegistry) runnerURI() string { return r.o.URL() }
