package livepeer

import (
	"context"
	"fmt"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/byoc"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/lv2v"
)

// LiveInfo describes a running live session.
type LiveInfo struct {
	Kind         string // "lv2v", "byoc" or "runner" (Scope through a live runner)
	Capability   string // "live-video-to-video/<model>" or "byoc/<name>"
	Orchestrator string // the orchestrator's service URI
	ManifestID   string // LV2V manifest id; the BYOC stream id
	StreamID     string
	PublishURL   string // media in ("" when the stream has none)
	SubscribeURL string // media out ("" when the stream has none)
	ControlURL   string
	EventsURL    string
	DataURL      string // BYOC data channel, when enabled
}

// liveJob is what a capability kind hands a LiveSession once an
// orchestrator started the stream: its channels and the calls that keep
// it going and end it. A new kind (live runners...) adds one start
// function returning a liveJob and a case in Live.
type liveJob struct {
	info   LiveInfo
	pay    func(ctx context.Context) error                // one payment cycle; nil when free
	update func(ctx context.Context, params []byte) error // nil: Update sends a control message
	stop   func(ctx context.Context) error                // ends the stream on the orchestrator; nil: deleting the input does
	close  func()                                         // releases the kind's resources; may be nil
}

// Live starts a live session for capability: "live-video-to-video/<model>"
// (an ai-runner pipeline; see package lv2v) or "byoc/<name>" (a BYOC
// stream; see package byoc), with params as the stream's initial
// parameters (the LV2V "params" object, the BYOC {"params": ...}; nil for
// none; they must encode to a JSON object). It selects an orchestrator,
// starts the stream (with the first payment), fails over to the next
// orchestrator while a start is refused, and returns the running session;
// payments then run on a timer and {"keep":"alive"} goes on the control
// channel.
//
// "live-video-to-video/scope" runs on live runners (scope.go): a runner of
// that app first (its app makes the media channels), else an
// orchestrator's /scope route, which answers control and events only (as
// go-livepeer master: NextSegment and Subscribe then fail with
// ErrNoMediaChannel). A live-runner app ("runner/<app>", or
// "<prefix>/<rest>" whose prefix is no go-livepeer pipeline) whose app
// speaks the same protocol (POST {app_url}/scope; package runner's Video)
// is started the same way. Its session is paid by the runner session
// underneath (Info().Kind "runner") and stopped by Close.
//
// Options: WithStreamID, WithPaymentInterval, WithKeepaliveInterval,
// WithStartTimeout; WithRequestID for live-video-to-video; WithTimeout,
// WithSigningKey and WithBYOCChannels for BYOC; WithRunnerFilter and
// WithRunnerWarnings for Scope and runner apps.
//
// ctx bounds the start and the whole session: cancelling it ends the
// session as Close does (Err then returns ctx.Err()). Errors: a
// *CapabilityError or *ConfigError for bad arguments; a *NoOrchestratorError
// (errors.Is(err, ErrNoOrchestrator)) listing every refusal when no
// orchestrator started the stream; an error wrapping ErrInsufficientBalance
// when the payer is out of credit; ctx.Err(); ErrClosed after Gateway.Close.
func (g *Gateway) Live(ctx context.Context, capability string, params any, opts ...CallOption) (*LiveSession, error) {
	o, err := resolveOptions(verbLive, opts)
	if err != nil {
		return nil, err
	}
	if g.closed.Load() {
		return nil, ErrClosed
	}
	// A live-runner app ("runner/<app>", "<prefix>/<rest>") speaks Scope's
	// protocol (scope.go); everything else is a go-livepeer capability.
	app, onRunner := runnerApp(capability)
	var c discovery.Capability
	if !onRunner {
		if c, err = discovery.ParseCapability(capability); err != nil {
			return nil, err
		}
	}
	if o.startTimeout == 0 {
		o.startTimeout = g.set.requestTimeout
	}
	tr := g.orchTransport()
	hc := &http.Client{Transport: tr}
	var job *liveJob
	scope := !onRunner && c.ID == discovery.CapLiveVideoToVideo && c.Model == liverunnerScopeModel
	if !scope && !onRunner {
		if err := o.refuse(c.String(), "WithRunnerFilter", "WithRunnerWarnings"); err != nil {
			return nil, err
		}
	}
	switch {
	case onRunner: // a live-runner app (scope.go)
		job, err = g.startLiveRunner(ctx, app, params, o)
	case scope: // a live runner first, else an orchestrator's /scope route (scope.go)
		job, err = g.startLiveScope(ctx, hc, c, params, o)
	case c.IsBYOC():
		job, err = g.startLiveBYOC(ctx, hc, c, params, o)
	case c.ID == discovery.CapLiveVideoToVideo:
		job, err = g.startLiveLV2V(ctx, hc, c, params, o)
	default:
		err = &ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a live capability (live-video-to-video/<model> or byoc/<name>)", capability)}
	}
	if err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return g.startSession(ctx, tr, hc, job, o)
}

// startLiveLV2V starts a live-video-to-video stream (package lv2v).
func (g *Gateway) startLiveLV2V(ctx context.Context, hc *http.Client, c discovery.Capability, params any, o *callOptions) (*liveJob, error) {
	if err := o.refuse("live-video-to-video", "WithTimeout", "WithSigningKey", "WithBYOCChannels"); err != nil {
		return nil, err
	}
	if c.Model == "" {
		return nil, &ConfigError{Field: "capability", Reason: "live-video-to-video needs a model: \"live-video-to-video/<model>\""}
	}
	sel, err := g.Select(ctx, c.String())
	if err != nil {
		return nil, err
	}
	st, err := g.lv2v.Start(ctx, hc, sel, lv2v.StreamSpec{Model: c.Model, Params: params, RequestID: o.requestID, StreamID: o.streamID, StartTimeout: o.startTimeout})
	if err != nil {
		return nil, err
	}
	return &liveJob{
		info: LiveInfo{Kind: "lv2v", Capability: c.String(), Orchestrator: transcoder(st.Orchestrator), ManifestID: st.ManifestID, StreamID: o.streamID,
			PublishURL: st.Channels.Publish, SubscribeURL: st.Channels.Subscribe, ControlURL: st.Channels.Control, EventsURL: st.Channels.Events},
		pay:   st.Pay,
		close: func() { _ = st.Close() },
	}, nil
}

// startLiveBYOC starts a BYOC stream (package byoc).
func (g *Gateway) startLiveBYOC(ctx context.Context, hc *http.Client, c discovery.Capability, params any, o *callOptions) (*liveJob, error) {
	if err := o.refuse("a BYOC stream", "WithRequestID"); err != nil {
		return nil, err
	}
	spec := byoc.StreamSpec{Capability: c.Model, ID: o.streamID, Params: params,
		NoVideoIngress: !o.videoIn, NoVideoEgress: !o.videoOut, DataOutput: o.dataOut,
		SigningKey: o.key, StartTimeout: o.startTimeout}
	if o.set["WithTimeout"] {
		spec.Timeout = o.timeout
	}
	if spec.ID == "" {
		spec.ID = byoc.NewJobID()
	}
	sel, err := g.Select(ctx, c.String())
	if err != nil {
		return nil, err
	}
	st, err := g.byoc.StartStream(ctx, hc, sel, spec)
	if err != nil {
		return nil, err
	}
	j := &liveJob{
		info: LiveInfo{Kind: "byoc", Capability: c.String(), Orchestrator: transcoder(st.Orchestrator), ManifestID: st.ID, StreamID: st.ID,
			PublishURL: st.Channels.Publish, SubscribeURL: st.Channels.Subscribe, ControlURL: st.Channels.Control,
			EventsURL: st.Channels.Events, DataURL: st.Channels.Data},
		update: st.Update,
		stop:   st.Stop,
	}
	if st.Priced {
		j.pay = st.Pay
	}
	return j, nil
}

func transcoder(info *discovery.Info) string {
	u := info.Transcoder
	for len(u) > 0 && u[len(u)-1] == '/' {
		u = u[:len(u)-1]
	}
	return u
}
