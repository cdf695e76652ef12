package livepeer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/byoc"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// Live runners (package liverunner): the types users hold.
type (
	// Runner is one live runner as discovery lists it.
	Runner = liverunner.Runner
	// RunnerSession is a reserved persistent live-runner session: the
	// app's URL, an *http.Client that reaches it, payments underneath.
	RunnerSession = liverunner.Session
	// RunnerFilter selects runners (WithRunnerFilter, Gateway.Runners).
	RunnerFilter = liverunner.Filter
	// RunnerWarning is what a runner session tells its user while it
	// goes on (WithRunnerWarnings): payments failing, riding on prepaid
	// time, payments resumed.
	RunnerWarning = liverunner.Warning
	// RunnerAppError is a runner app's non-2xx answer to Run or Stream
	// (errors.Is(err, ErrJobFailed)).
	RunnerAppError = liverunner.AppError
)

// RunnerPrefix marks a capability string as a live-runner app:
// "runner/<app>" selects the runners whose app is <app>, whatever <app>
// looks like.
const RunnerPrefix = "runner/"

// runnerApp tells a live-runner app apart from the other capability
// kinds of Run and Stream: "runner/<app>" always is one (the app being
// <app>); "<prefix>/<rest>" is one (the whole string) when <prefix> is
// neither "byoc" nor a go-livepeer pipeline name or number (live runners
// name their app "pipeline/model" by convention; "acme/echo" is a runner
// app, "llm/<model>" or "text-to-image/<model>" is a built-in AI
// pipeline, "byoc/<name>" and a bare "<name>" are BYOC).
func runnerApp(capability string) (string, bool) {
	s := strings.TrimSpace(capability)
	if app, ok := strings.CutPrefix(s, RunnerPrefix); ok {
		app = strings.TrimSpace(app)
		return app, app != "" && !strings.ContainsAny(app, "\r\n")
	}
	prefix, rest, ok := strings.Cut(s, "/")
	if !ok || strings.TrimSpace(rest) == "" || strings.ContainsAny(s, "\r\n") {
		return "", false
	}
	if prefix == "byoc" {
		return "", false
	}
	if _, known := discovery.CapabilityByName(prefix); known {
		return "", false
	}
	if _, err := strconv.Atoi(prefix); err == nil {
		return "", false
	}
	return s, true
}

// runnerSource is where the Gateway finds live runners: its orchestrator
// list (each one's GET /discovery), else its discovery endpoint (the
// records of its answer), else the remote signer's discovery.
func (g *Gateway) runnerSource() (liverunner.Source, error) {
	s := g.set
	switch {
	case len(s.orchestrators) > 0:
		return liverunner.FromOrchestrators(s.orchestrators, &http.Client{Transport: g.runnerTr}, s.requestTimeout), nil
	case s.discoveryURL != "":
		hc := s.httpClient
		if hc == nil {
			hc = &http.Client{Transport: g.runnerTr}
		}
		src, err := liverunner.FromEndpoint(s.discoveryURL, s.discoveryHeaders, hc, s.requestTimeout)
		if err != nil {
			return nil, relabel(err, map[string]string{"URL": s.discoveryField})
		}
		return src, nil
	case !g.signer.Offchain():
		return liverunner.FromSigner(g.signer), nil
	}
	return nil, &ConfigError{Field: "Orchestrators", Reason: "no source of live runners"}
}

// Runners discovers the live runners f selects (f.App "" for every app)
// and returns them ranked (see liverunner.Rank: a free slot first, then
// cheapest, then fastest). Sources, first match: the orchestrator list
// (GET {orchestrator}/discovery), the discovery endpoint (its "runners"
// records), the remote signer (/discover-orchestrators "runners": on-chain
// priced runners only). A signer's list, and a discovery endpoint of its
// shape (livepeertest's among them), leaves off-chain runners out: against
// off-chain orchestrators give their addresses.
//
// Errors: a *NoOrchestratorError listing why orchestrators and runners
// were left out when none is left; the source's error; ctx's; ErrClosed.
func (g *Gateway) Runners(ctx context.Context, f RunnerFilter) ([]Runner, error) {
	sel, err := g.selectRunners(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []Runner
	for {
		r, err := sel.Next(ctx)
		if err != nil {
			if errors.Is(err, ErrNoOrchestrator) {
				return out, nil
			}
			return nil, err
		}
		out = append(out, r)
	}
}

// selectRunners discovers and ranks runners into a selector.
func (g *Gateway) selectRunners(ctx context.Context, f RunnerFilter) (*liverunner.Selector, error) {
	if g.closed.Load() {
		return nil, ErrClosed
	}
	src, err := g.runnerSource()
	if err != nil {
		return nil, err
	}
	sel, err := liverunner.Select(ctx, src, f)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("livepeer: discover live runners: %w", ctx.Err())
	}
	return sel, err
}

// runnerFilterFor is the call's filter for app.
func (o *callOptions) runnerFilterFor(app string) (RunnerFilter, error) {
	f := o.runnerFilter
	if f.App != "" && f.App != app {
		return f, &ConfigError{Field: "WithRunnerFilter", Reason: fmt.Sprintf("App %q is not the call's app %q", f.App, app)}
	}
	f.App = app
	return f, nil
}

// runnerInterval is the call's payment interval for a runner session.
func (o *callOptions) runnerInterval() time.Duration {
	if o.set["WithPaymentInterval"] {
		return o.paymentInterval
	}
	return liverunner.DefaultPaymentInterval
}

// Reserve reserves a persistent session on a live runner of app (the
// runner's "app", e.g. "live-video-to-video/scope" or "acme/echo") and
// returns it running: RunnerSession.Client reaches the app at
// RunnerSession.URL(path) (plain HTTP, server-sent events, WebSockets over
// HTTP/1.1), payments run on a timer (WithPaymentInterval, default 3 s)
// when the runner is priced, and Close stops it (POST
// {control_url}/stop). Runners are found as Runners finds them and tried
// cheapest first; a refusal (full, gone, unreachable) moves on to the next.
//
// Options: WithRunnerFilter, WithPaymentInterval, WithRunnerWarnings.
// The session outlives ctx (which bounds the reservation only): Close it.
//
// Errors: a *NoOrchestratorError listing every runner tried and why
// (errors.Is(err, ErrNoOrchestrator)); ErrInsufficientBalance or
// ErrSignerUnavailable from the signer; *ConfigError for a bad app or
// option; ctx's error (a reservation in flight is stopped first, so none
// is left behind); ErrClosed after Close.
func (g *Gateway) Reserve(ctx context.Context, app string, opts ...CallOption) (*RunnerSession, error) {
	o, err := resolveOptions(verbReserve, opts)
	if err != nil {
		return nil, err
	}
	app = strings.TrimSpace(app)
	if a, ok := strings.CutPrefix(app, RunnerPrefix); ok {
		app = strings.TrimSpace(a)
	}
	if app == "" || strings.ContainsAny(app, "\r\n") {
		return nil, &ConfigError{Field: "app", Reason: fmt.Sprintf("%q is not a live-runner app", app)}
	}
	f, err := o.runnerFilterFor(app)
	if err != nil {
		return nil, err
	}
	f.Mode = liverunner.Persistent
	sel, err := g.selectRunners(ctx, f)
	if err != nil {
		return nil, err
	}
	return g.runners.Reserve(ctx, sel, liverunner.SessionConfig{PaymentInterval: o.runnerInterval(),
		MaxPrice: f.MaxPrice, OnWarning: o.runnerWarn})
}

// submitRunner sends a Run or Stream call to a runner app (Client.Call):
// POST {runner}/{WithPath} with the input; the answer is handed over as a
// BYOC-shaped answer so Run and Stream read it the same way. done closes
// the answer (and stops the session a persistent runner gave it).
func (g *Gateway) submitRunner(ctx context.Context, app string, input any, o *callOptions, accept string) (*byoc.Answer, func(), error) {
	if err := o.refuse("a live-runner app", "WithSigningKey", "WithRequestID"); err != nil {
		return nil, nil, err
	}
	body, ct, err := encodeInput(input)
	if err != nil {
		return nil, nil, fmt.Errorf("livepeer: encode input: %w", err)
	}
	if o.contentType != "" {
		ct = o.contentType
	}
	f, err := o.runnerFilterFor(app)
	if err != nil {
		return nil, nil, err
	}
	sel, err := g.selectRunners(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	hdr := http.Header{"Content-Type": {ct}}
	if accept != "" {
		hdr.Set("Accept", accept)
	}
	a, err := g.runners.Call(ctx, sel, liverunner.Request{Method: http.MethodPost, Path: o.path, Header: hdr, Body: body},
		liverunner.CallConfig{MaxPrice: f.MaxPrice, PaymentInterval: o.runnerInterval(), OnWarning: o.runnerWarn})
	if err != nil {
		return nil, nil, err
	}
	orch := &discovery.Info{Addr: a.Runner.Orchestrator, Transcoder: a.Runner.Orchestrator}
	return &byoc.Answer{Response: a.Response, Orchestrator: orch, JobID: a.SessionID}, func() { _ = a.Close() }, nil
}
