package livepeertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ParseStaticRunners decodes a runners.json document and applies
// go-livepeer's defaults (routing "runner-id", healthy_status_code 200, a
// health_url path resolved against runner_url), as ParseStaticLiveRunnerConfig.
func ParseStaticRunners(data []byte) (StaticRunners, error) {
	var doc StaticRunners
	if err := json.Unmarshal(data, &doc); err != nil {
		return StaticRunners{}, err
	}
	return normalizeStaticRunners(doc)
}

func normalizeStaticRunners(doc StaticRunners) (StaticRunners, error) {
	out := StaticRunners{Runners: append([]StaticRunner(nil), doc.Runners...)}
	for i := range out.Runners {
		e := &out.Runners[i]
		e.Routing = strings.TrimSpace(e.Routing)
		if e.Routing == "" {
			e.Routing = runnerRoutingID
		}
		if e.Routing != runnerRoutingID && e.Routing != runnerRoutingLabel {
			return StaticRunners{}, fmt.Errorf("runners[%d]: routing must be %q or %q", i, runnerRoutingID, runnerRoutingLabel)
		}
		if e.HealthyStatusCode == 0 {
			e.HealthyStatusCode = http.StatusOK
		}
		h, err := staticHealthURL(e.RunnerURL, e.HealthURL)
		if err != nil {
			return StaticRunners{}, fmt.Errorf("runners[%d]: %v", i, err)
		}
		e.HealthURL = h
	}
	return out, nil
}

// staticHealthURL is go-livepeer's staticRunnerHealthURL.
func staticHealthURL(runnerURL, healthURL string) (string, error) {
	u, err := url.Parse(healthURL)
	if err != nil {
		return "", fmt.Errorf("invalid health_url")
	}
	if u.IsAbs() || u.Path == "" || u.Path[0] != '/' || u.Host != "" {
		return healthURL, nil
	}
	base, err := url.ParseRequestURI(runnerURL)
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return "", fmt.Errorf("invalid runner_url")
	}
	return strings.TrimRight(runnerURL, "/") + healthURL, nil
}

// RegisterStatic validates and upserts a runners.json document, as
// go-livepeer's RegisterStaticRunners (the CLI route POST
// /registerLiveRunners): validation is atomic (one bad entry registers
// nothing; the error names runners[i]), each health_url is checked once,
// an existing label keeps its runner id and sessions, and entries missing
// from doc are kept. An unhealthy runner is registered but unavailable
// (hidden, 404) and loses its sessions.
func (r *RunnerRegistry) RegisterStatic(doc StaticRunners) ([]StaticRunnerRegistration, error) {
	doc, err := normalizeStaticRunners(doc)
	if err != nil {
		return nil, err
	}
	reqs := make([]runnerHeartbeat, len(doc.Runners))
	healthy := make([]bool, len(doc.Runners))
	seen := map[string]bool{}
	for i, e := range doc.Runners {
		if reqs[i], err = r.buildStatic(e); err != nil {
			return nil, fmt.Errorf("runners[%d]: %v", i, err)
		}
		if seen[e.Label] {
			return nil, fmt.Errorf("runners[%d]: duplicate label %q", i, e.Label)
		}
		if e.Routing == runnerRoutingLabel && strings.Contains(e.Label, "/") {
			return nil, fmt.Errorf("runners[%d]: label cannot contain / when routing is %q", i, runnerRoutingLabel)
		}
		seen[e.Label] = true
		healthy[i] = r.healthy(r.ctx, e.HealthURL, e.HealthyStatusCode)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("livepeertest: runner registry closed")
	}
	byLabel := map[string]*regRunner{}
	for route, rr := range r.runners {
		if rr.route == route && !rr.removed && rr.static {
			byLabel[rr.req.Label] = rr
		}
	}
	out := make([]StaticRunnerRegistration, 0, len(doc.Runners))
	for i, e := range doc.Runners {
		rr := byLabel[e.Label]
		if rr == nil {
			rr = &regRunner{seed: newRunnerSeed(), static: true, sessions: map[string]*regSession{}}
			rr.req.RunnerID = "runner_" + runnerRandom(runnerIDRandomBytes)
			for r.runners[rr.req.RunnerID] != nil {
				rr.req.RunnerID = "runner_" + runnerRandom(runnerIDRandomBytes)
			}
		}
		req := reqs[i]
		req.RunnerID = rr.req.RunnerID
		if healthy[i] {
			req.Status = "ready"
		} else {
			req.Status = "unavailable"
			for id := range rr.sessions {
				r.releaseLocked(rr, id)
			}
		}
		rr.removed = false
		rr.req, rr.lastHeartbeat = req, time.Now()
		rr.healthURL, rr.healthStatus = e.HealthURL, e.HealthyStatusCode
		route := rr.req.RunnerID
		if e.Routing == runnerRoutingLabel {
			route = e.Label
		}
		if r.runners[rr.route] == rr && rr.route != route {
			delete(r.runners, rr.route)
		}
		rr.route = route
		r.runners[route] = rr
		out = append(out, StaticRunnerRegistration{
			RunnerID: rr.req.RunnerID, Label: req.Label, App: req.App, Proxy: e.Proxy, RunnerURL: req.RunnerURL,
			Mode: req.Mode, HealthURL: e.HealthURL, HealthyStatusCode: e.HealthyStatusCode, Healthy: healthy[i],
		})
	}
	return out, nil
}

// buildStatic is go-livepeer's buildStaticRunner.
func (r *RunnerRegistry) buildStatic(e StaticRunner) (runnerHeartbeat, error) {
	if e.Label == "" || e.Label != strings.TrimSpace(e.Label) {
		return runnerHeartbeat{}, fmt.Errorf("label is required and must be trimmed")
	}
	if e.HealthURL == "" {
		return runnerHeartbeat{}, fmt.Errorf("health_url is required")
	}
	u, err := url.ParseRequestURI(e.HealthURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return runnerHeartbeat{}, fmt.Errorf("invalid health_url")
	}
	if e.HealthyStatusCode < 100 || e.HealthyStatusCode > 599 {
		return runnerHeartbeat{}, fmt.Errorf("healthy_status_code must be a valid HTTP status code")
	}
	return r.normalize("static", runnerHeartbeat{
		Label: e.Label, Proxy: e.Proxy, RunnerURL: e.RunnerURL, Version: e.Version, Metadata: e.Metadata,
		Mode: e.Mode, GPU: e.GPU, App: e.App, Capacity: e.Capacity, PriceInfo: e.PriceInfo,
	})
}

// healthy GETs a static runner's health URL with the health timeout; only
// the exact healthy status counts.
func (r *RunnerRegistry) healthy(ctx context.Context, healthURL string, want int) bool {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.HealthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
	if err != nil {
		return false
	}
	// Like go-livepeer's health client, verify TLS certificates (r.hc
	// skips verification, for the orchestrator's own trickle channels).
	resp, err := (&http.Client{Transport: r.proxyTransport}).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == want
}

// healthLoop is go-livepeer's healthLoop: every health interval, check each
// static runner; a failing one becomes "unavailable" and loses its
// sessions, a passing one becomes "ready".
func (r *RunnerRegistry) healthLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.HealthInterval)
	defer t.Stop()
	type check struct {
		rr   *regRunner
		url  string
		want int
	}
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		var checks []check
		for route, rr := range r.runners {
			if rr.route == route && rr.static && !rr.removed {
				checks = append(checks, check{rr, rr.healthURL, rr.healthStatus})
			}
		}
		r.mu.Unlock()
		for _, c := range checks {
			ok := r.healthy(r.ctx, c.url, c.want)
			r.mu.Lock()
			if !c.rr.removed && r.ctx.Err() == nil {
				if ok {
					c.rr.req.Status = "ready"
				} else {
					c.rr.req.Status = "unavailable"
					for id := range c.rr.sessions {
						r.releaseLocked(c.rr, id)
					}
				}
			}
			r.mu.Unlock()
		}
	}
}
