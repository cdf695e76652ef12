package liverunner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ScopeApp is the app of Scope runners (go-livepeer doc/live-runner.md;
// the Python SDK's _SCOPE_RUNNER_APP).
const ScopeApp = "live-video-to-video/scope"

// VideoChannels are the trickle channels of a live-video-to-video job
// (go-livepeer LiveVideoToVideoResponse). A channel the job has not is "":
// go-livepeer master's /scope answers only control and events (StartScope
// pre-creates those two; the media channels are the app's business).
type VideoChannels struct {
	PublishURL   string `json:"publish_url"`
	SubscribeURL string `json:"subscribe_url"`
	ControlURL   string `json:"control_url"`
	EventsURL    string `json:"events_url"`
	ManifestID   string `json:"manifest_id"`
}

// ScopeStream is Scope started through a runner: its channels and, for a
// persistent runner, the session that keeps it reserved and paid.
type ScopeStream struct {
	// Runner is the runner serving it.
	Runner Runner
	// Channels are the job's channel URLs.
	Channels VideoChannels
	// Session is the persistent session behind it; nil for a serverless
	// or single-shot runner, which answered the start itself.
	Session *Session
	// Route is a serverless runner's start (go-livepeer lists a serverless
	// AI worker's live-video-to-video models as runners at {svc}/scope):
	// pay it with Route.Pay on a timer, as live-video-to-video. nil otherwise.
	Route *ScopeRoute
}

// Stop ends the stream: the session is stopped (its channels closed by
// the orchestrator); a serverless start's payment session is closed (the
// stream ends when its control channel is deleted or payments stop).
// Idempotent.
func (s *ScopeStream) Stop(ctx context.Context) error {
	if s.Route != nil {
		_ = s.Route.Close()
	}
	if s.Session == nil {
		return nil
	}
	return s.Session.Stop(ctx)
}

// Close is Stop with DefaultStopTimeout.
func (s *ScopeStream) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
	defer cancel()
	return s.Stop(ctx)
}

// serverless reports a runner that answers the start itself at its URL:
// a version starting with "serverless" (the Python SDK's rule) or a URL on
// an orchestrator's /scope route (go-livepeer's DiscoverLiveRunners lists
// a serverless AI worker's models there).
func serverless(r Runner) bool {
	if r.Serverless() {
		return true
	}
	u, err := url.Parse(r.URL)
	return err == nil && strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/scope")
}

// StartScope starts Scope (job: the live-video-to-video job JSON,
// {"model_id":"scope","params":{...}}) on the first runner candidate that
// takes it, as the Python SDK's start_scope does:
//   - a serverless runner (version "serverless…", or a URL on an
//     orchestrator's /scope route, where go-livepeer lists a serverless AI
//     worker's models) is sent the job at its URL with the 402 dance, as
//     an orchestrator's /scope route (ScopeRoute), and answers the job
//     JSON; it is then paid as live-video-to-video (Route.Pay);
//   - a single-shot runner is called with the job (POST {runner.URL}/,
//     paid per call) and answers the job JSON itself;
//   - a persistent runner gets a reservation (Reserve, cfg), then POST
//     {app_url}/scope with the job, answered with the job JSON; the
//     session stays reserved and paid until Stop.
//
// It fails over like Call while the start has certainly not reached an
// app (a refused reservation, a proxy that cannot dial the runner); an
// answer without a manifest_id or any channel fails that runner too (its
// session is stopped). Errors are Call's and Reserve's.
func (c *Client) StartScope(ctx context.Context, cands Candidates, job []byte, cfg SessionConfig) (*ScopeStream, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	for {
		r, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		st, err := c.startScopeOn(ctx, r, job, cfg)
		if err == nil {
			return st, nil
		}
		var ae *AppError
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("liverunner: start scope: %w", ctx.Err())
		case signerStops(err), errors.Is(err, errReached), errors.As(err, &ae):
			return nil, err // an app's answer, or a signer that cannot pay anyone
		}
		c.log.Debug("scope runner did not start, trying the next", "runner", r.URL, "err", err)
		cands.Reject(r, err)
	}
}

// errBadJob marks a start answer that is not a usable job.
var errBadJob = errors.New("liverunner: the start answer is not a live-video-to-video job")

func (c *Client) startScopeOn(ctx context.Context, r Runner, job []byte, cfg SessionConfig) (*ScopeStream, error) {
	if serverless(r) {
		tr := c.orchTransport() // the start only: payments have their own client
		defer tr.CloseIdleConnections()
		rt, err := c.scopeAt(ctx, &http.Client{Transport: tr}, r.URL, r.Orchestrator, job, c.timeout, nil)
		if err != nil {
			return nil, err
		}
		return &ScopeStream{Runner: r, Channels: rt.Channels, Route: rt}, nil
	}
	if r.Mode == SingleShot {
		req := Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/json"}}, Body: job}
		a, err := c.callOn(ctx, r, req, CallConfig{MaxPrice: cfg.MaxPrice, PaymentInterval: cfg.PaymentInterval, OnWarning: cfg.OnWarning})
		if err != nil {
			return nil, err
		}
		defer a.Close()
		body, err := io.ReadAll(io.LimitReader(a.Response.Body, maxAnswer))
		if err != nil {
			return nil, fmt.Errorf("liverunner: read the scope start of %s: %w: %w", r.URL, lperr.ErrOrchestratorUnavailable, err)
		}
		ch, err := decodeJob(r, body)
		if err != nil {
			return nil, err
		}
		return &ScopeStream{Runner: r, Channels: ch}, nil
	}
	s, err := c.reserveOn(ctx, r, cfg)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL("scope"), strings.NewReader(string(job)))
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(hreq)
	if err != nil {
		_ = s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("liverunner: start scope on %s: %w: %w", r.URL, lperr.ErrOrchestratorUnavailable, err)
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || rerr != nil {
		_ = s.Close()
		if rerr != nil {
			return nil, fmt.Errorf("liverunner: read the scope start of %s: %w: %w", r.URL, lperr.ErrOrchestratorUnavailable, rerr)
		}
		a := &answer{status: resp.StatusCode, body: body}
		if notReached(resp.StatusCode, body) {
			return nil, orchestratorError("scope", s.URL("scope"), a)
		}
		msg, _ := lperr.MessageFromBody(body)
		return nil, &AppError{App: r.App, Runner: r.URL, StatusCode: resp.StatusCode, Message: msg, Body: body}
	}
	ch, err := decodeJob(r, body)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &ScopeStream{Runner: r, Channels: ch, Session: s}, nil
}

// decodeJob reads a live-video-to-video job answer: a manifest_id and at
// least a control or events channel.
func decodeJob(r Runner, body []byte) (VideoChannels, error) {
	var ch VideoChannels
	if err := json.Unmarshal(body, &ch); err != nil {
		return VideoChannels{}, fmt.Errorf("%w: %s answered %q: %v", errBadJob, r.URL, truncate(body), err)
	}
	if ch.ManifestID == "" || (ch.ControlURL == "" && ch.EventsURL == "" && ch.PublishURL == "") {
		return VideoChannels{}, fmt.Errorf("%w: %s answered no manifest_id or channels: %q", errBadJob, r.URL, truncate(body))
	}
	return ch, nil
}

func truncate(b []byte) string {
	if len(b) > 256 {
		return string(b[:256]) + "…"
	}
	return string(b)
}
