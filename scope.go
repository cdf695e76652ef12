package livepeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// liverunnerScopeModel is Scope's live-video-to-video model id.
const liverunnerScopeModel = "scope"

// scopeJob is the live-video-to-video job Scope starts with (go-livepeer
// LiveVideoToVideoParams, as lv2v sends it).
type scopeJob struct {
	ModelID          string `json:"model_id"`
	Params           any    `json:"params,omitempty"`
	GatewayRequestID string `json:"gateway_request_id,omitempty"`
	StreamID         string `json:"stream_id,omitempty"`
}

// scopeJobFor encodes the live-video-to-video job a Scope-protocol start
// sends ({"model_id", "params", "gateway_request_id", "stream_id"});
// params must encode to a JSON object.
func scopeJobFor(model string, params any, o *callOptions) ([]byte, error) {
	job, err := json.Marshal(scopeJob{ModelID: model, Params: params, GatewayRequestID: o.requestID, StreamID: o.streamID})
	if err != nil {
		return nil, &ConfigError{Field: "params", Reason: err.Error()}
	}
	var shape struct{ Params json.RawMessage }
	_ = json.Unmarshal(job, &shape)
	if p := bytes.TrimSpace(shape.Params); len(p) > 0 && p[0] != '{' && string(p) != "null" {
		return nil, &ConfigError{Field: "params", Reason: "must encode to a JSON object"}
	}
	return job, nil
}

// startOnRunners starts a live job on the runners of app
// (liverunner.StartScope: a serverless runner answers the job itself, a
// persistent one gets a session and POST {app_url}/scope).
func (g *Gateway) startOnRunners(ctx context.Context, app, label string, job []byte, o *callOptions) (*liveJob, error) {
	f, err := o.runnerFilterFor(app)
	if err != nil {
		return nil, err
	}
	sel, err := g.selectRunners(ctx, f)
	if err != nil {
		return nil, err
	}
	st, err := g.runners.StartScope(ctx, sel, job, liverunner.SessionConfig{PaymentInterval: o.runnerInterval(), MaxPrice: f.MaxPrice, OnWarning: o.runnerWarn})
	if err != nil {
		return nil, err
	}
	ch := st.Channels
	j := &liveJob{
		info: LiveInfo{Kind: "runner", Capability: label, Orchestrator: st.Runner.Orchestrator, ManifestID: ch.ManifestID,
			StreamID: o.streamID, PublishURL: ch.PublishURL, SubscribeURL: ch.SubscribeURL, ControlURL: ch.ControlURL, EventsURL: ch.EventsURL},
		stop:  st.Stop,
		close: func() { _ = st.Close() },
	}
	if st.Route != nil && st.Route.Payment != nil { // a serverless runner: paid as live-video-to-video
		j.pay = st.Route.Pay
	}
	return j, nil
}

// startLiveRunner starts Live on a live-runner app ("runner/<app>",
// "<prefix>/<rest>") that speaks Scope's protocol: the app answers POST
// {app_url}/scope (or a serverless runner the call itself) with a
// live-video-to-video job's channels (package runner's Video handler does).
// params go as the job's "params"; its model_id is the app's last path
// element.
func (g *Gateway) startLiveRunner(ctx context.Context, app string, params any, o *callOptions) (*liveJob, error) {
	if err := o.refuse("a live-runner app", "WithTimeout", "WithSigningKey", "WithBYOCChannels"); err != nil {
		return nil, err
	}
	model := app[strings.LastIndex(app, "/")+1:]
	job, err := scopeJobFor(model, params, o)
	if err != nil {
		return nil, err
	}
	return g.startOnRunners(ctx, app, RunnerPrefix+app, job, o)
}

// startLiveScope starts Live on "live-video-to-video/scope". Scope runs
// on live runners (go-livepeer master), so a runner of app
// "live-video-to-video/scope" is tried first (startOnRunners); its video
// flows on the channels the app made. Only when no runner takes it are the
// orchestrators' /scope routes tried (liverunner.StartScopeRoute):
// master's StartScope answers control and events channels only, so such a
// session has no media (NextSegment and Subscribe fail with
// ErrNoMediaChannel). A failure of both lists every rejection in one
// *NoOrchestratorError.
func (g *Gateway) startLiveScope(ctx context.Context, hc *http.Client, c discovery.Capability, params any, o *callOptions) (*liveJob, error) {
	if err := o.refuse("live-video-to-video/scope", "WithTimeout", "WithSigningKey", "WithBYOCChannels"); err != nil {
		return nil, err
	}
	job, err := scopeJobFor(liverunnerScopeModel, params, o)
	if err != nil {
		return nil, err
	}
	j, err := g.startOnRunners(ctx, liverunner.ScopeApp, c.String(), job, o)
	if err == nil {
		return j, nil
	}
	var rejections []Rejection
	var none *NoOrchestratorError
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &none):
		rejections = append(rejections, none.Rejections...)
	case errors.Is(err, ErrInsufficientBalance), errors.Is(err, ErrInvalidConfig):
		return nil, err
	default:
		rejections = append(rejections, Rejection{Orchestrator: "live runners", Err: err})
	}
	osel, err := g.Select(ctx, c.String())
	if err == nil {
		var rt *liverunner.ScopeRoute
		rt, err = g.runners.StartScopeRoute(ctx, hc, osel, job, o.startTimeout, func(info *discovery.Info) payment.RefreshFunc {
			return func(ctx context.Context) (*discovery.Info, error) { return g.Refresh(ctx, info) }
		})
		if err == nil {
			ch := rt.Channels
			j := &liveJob{
				info: LiveInfo{Kind: "lv2v", Capability: c.String(), Orchestrator: transcoder(rt.Orchestrator), ManifestID: ch.ManifestID,
					StreamID: o.streamID, PublishURL: ch.PublishURL, SubscribeURL: ch.SubscribeURL, ControlURL: ch.ControlURL, EventsURL: ch.EventsURL},
				close: func() { _ = rt.Close() },
			}
			if rt.Payment != nil {
				j.pay = rt.Pay
			}
			return j, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if errors.As(err, &none) {
		return nil, &NoOrchestratorError{Capability: c.String(), Reason: "no live runner or orchestrator started it",
			Rejections: append(rejections, none.Rejections...)}
	}
	return nil, err
}
