package byoc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// DefaultStreamTimeout is a stream job's timeout_seconds when
// StreamSpec.Timeout is zero.
const DefaultStreamTimeout = 30 * time.Second

// StreamSpec describes a BYOC stream to start (go-livepeer POST
// /ai/stream/start).
type StreamSpec struct {
	// Capability is the BYOC capability name (without "byoc/"). Required.
	Capability string
	// ID names the stream (the job header's id and request stream_id); it
	// must be unique: "" makes a random one.
	ID string
	// Params are the worker's initial parameters. The start body is
	// {"params": Params}, as go-livepeer's gateway sends it
	// (byoc/stream_gateway.go); nil sends {"params": {}}. Params must encode
	// to a JSON object.
	Params any
	// NoVideoIngress and NoVideoEgress turn off the stream's input or output
	// video channel; DataOutput turns on its data channel (the job's
	// enable_video_ingress / enable_video_egress / enable_data_output).
	NoVideoIngress, NoVideoEgress, DataOutput bool
	// Timeout is the job's timeout_seconds (default DefaultStreamTimeout).
	Timeout time.Duration
	// SigningKey signs the header instead of the Client's (see Config).
	SigningKey *ecdsa.PrivateKey
	// StartTimeout bounds each orchestrator's token, payment and start
	// request (default 10 s).
	StartTimeout time.Duration
}

// Channels are a stream's trickle channel URLs ("" when the stream has none).
type Channels struct {
	Publish   string // media in (X-Publish-Url)
	Subscribe string // media out (X-Subscribe-Url)
	Control   string // control messages in (X-Control-Url)
	Events    string // events out (X-Events-Url)
	Data      string // data out (X-Data-Url)
}

// Stream is a BYOC stream an orchestrator started. Its methods are safe
// for concurrent use.
type Stream struct {
	// ID is the stream id.
	ID string
	// Capability is the BYOC capability name.
	Capability string
	// Orchestrator is the orchestrator running it.
	Orchestrator *discovery.Info
	// Channels are its trickle channels.
	Channels Channels
	// Priced reports whether the capability costs something (Pay then
	// keeps the balance up).
	Priced bool

	c   *Client
	hc  Doer
	cr  *credentials
	url string // the orchestrator's service URI, no trailing slash
}

// StartStream signs the stream job once and starts it on the first
// candidate that accepts it: job token and payment when priced, POST
// /ai/stream/start with {"params": ...}, channel URLs from the X-*-Url
// headers. Each candidate is asked once, so a stream id is never started
// twice on one orchestrator (go-livepeer would close the first). hc is
// kept by the Stream for Pay, Update and Stop.
//
// Errors: a *livepeer.ConfigError for a bad spec; the candidates' error
// (*livepeer.NoOrchestratorError listing every refusal) when none started
// it; signer errors; ctx.Err() wrapped.
func (c *Client) StartStream(ctx context.Context, hc Doer, cands Candidates, spec StreamSpec) (*Stream, error) {
	if spec.Capability == "" || strings.ContainsAny(spec.Capability, "/\r\n") {
		return nil, &lperr.ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a BYOC capability name", spec.Capability)}
	}
	if spec.ID == "" {
		spec.ID = NewJobID()
	}
	if strings.ContainsAny(spec.ID, "/?#\r\n") {
		return nil, &lperr.ConfigError{Field: "StreamID", Reason: "must not contain '/', '?', '#' or line breaks"}
	}
	body, err := startBody(spec.Params)
	if err != nil {
		return nil, err
	}
	if spec.Timeout <= 0 {
		spec.Timeout = DefaultStreamTimeout
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = 10 * time.Second
	}
	job := jobRequest(spec.Capability, spec.ID, spec.Timeout, map[string]string{"stream_id": spec.ID}, map[string]bool{
		"enable_video_ingress": !spec.NoVideoIngress,
		"enable_video_egress":  !spec.NoVideoEgress,
		"enable_data_output":   spec.DataOutput,
	})
	cr, err := c.sign(ctx, job, spec.SigningKey)
	if err != nil {
		return nil, err
	}
	for {
		info, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		s, err := c.start(ctx, hc, info, &spec, cr, body)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("byoc: start stream: %w", ctx.Err())
		}
		c.log.Debug("BYOC stream start refused, trying the next orchestrator", "orchestrator", info.Addr, "error", err)
		cands.Reject(info, err)
	}
}

// startBody renders {"params": params} (params must be a JSON object or nil).
func startBody(params any) ([]byte, error) {
	p := []byte("{}")
	if params != nil {
		var err error
		if p, err = json.Marshal(params); err != nil {
			return nil, &lperr.ConfigError{Field: "params", Reason: err.Error()}
		}
		if t := bytes.TrimSpace(p); string(t) == "null" {
			p = []byte("{}")
		} else if len(t) == 0 || t[0] != '{' {
			return nil, &lperr.ConfigError{Field: "params", Reason: "must encode to a JSON object"}
		}
	}
	return json.Marshal(map[string]json.RawMessage{"params": p})
}

// start starts the stream on one orchestrator.
func (c *Client) start(ctx context.Context, hc Doer, info *discovery.Info, spec *StreamSpec, cr *credentials, body []byte) (*Stream, error) {
	s := &Stream{ID: spec.ID, Capability: spec.Capability, Orchestrator: info, c: c, hc: hc, cr: cr, url: strings.TrimRight(info.Transcoder, "/")}
	rctx, cancel := context.WithTimeout(ctx, spec.StartTimeout)
	defer cancel()
	t, err := fetchTerms(rctx, hc, info, spec.Capability, cr)
	if err != nil {
		return nil, err
	}
	pay, err := c.payIfShort(rctx, info, spec.Capability, t, cr)
	if err != nil {
		return nil, err
	}
	h, err := s.post(rctx, "ai/stream/start", body, pay)
	if err != nil {
		return nil, err
	}
	s.Channels = Channels{
		Publish: h.Get(lphttp.HeaderPublishURL), Subscribe: h.Get(lphttp.HeaderSubscribeURL),
		Control: h.Get(lphttp.HeaderControlURL), Events: h.Get(lphttp.HeaderEventsURL), Data: h.Get(lphttp.HeaderDataURL),
	}
	s.Priced = t.price.Sign() > 0
	c.log.Debug("BYOC stream started", "orchestrator", info.Addr, "stream_id", spec.ID)
	return s, nil
}

// post sends one stream request with the job headers (and a payment when
// non-empty), checks for 200 and returns the answer's headers. Refusals
// are *livepeer.APIError classified like every orchestrator answer.
func (s *Stream) post(ctx context.Context, op string, body []byte, pay string) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/"+op, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderJob, s.cr.header)
	req.Header.Set(HeaderCapability, s.Capability)
	if pay != "" {
		req.Header.Set(HeaderPayment, pay)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("byoc: %s: %w", op, ctx.Err())
		}
		return nil, fmt.Errorf("byoc: %s at %s: %w: %w", op, s.Orchestrator.Addr, lperr.ErrOrchestratorUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, lperr.ReadOrchestratorError(op, s.Orchestrator.Addr, resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Header, nil
}

// Pay tops the (payer, capability) balance up when it is below the 60 s
// go-livepeer requires (job token, then POST /ai/stream/payment with
// tickets for PrepaySeconds). It returns an error wrapping
// livepeer.ErrNoTicketsNeeded when the balance suffices (nothing is sent),
// and the token, payment or orchestrator error otherwise.
func (s *Stream) Pay(ctx context.Context) error {
	t, err := fetchTerms(ctx, s.hc, s.Orchestrator, s.Capability, s.cr)
	if err != nil {
		return err
	}
	pay, err := s.c.payIfShort(ctx, s.Orchestrator, s.Capability, t, s.cr)
	if err != nil {
		return err
	}
	if pay == "" {
		return fmt.Errorf("byoc: stream %s: %w", s.ID, lperr.ErrNoTicketsNeeded)
	}
	_, err = s.post(ctx, "ai/stream/payment", nil, pay)
	return err
}

// Update sends new parameters (a JSON document) on POST /ai/stream/update;
// go-livepeer forwards them to the worker's /stream/params.
func (s *Stream) Update(ctx context.Context, params []byte) error {
	_, err := s.post(ctx, "ai/stream/update", params, "")
	return err
}

// Stop ends the stream on the orchestrator (POST /ai/stream/stop with
// {"stream_id": id}); its channels close. Stopping a stream that already
// ended is not an error on go-livepeer.
func (s *Stream) Stop(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"stream_id": s.ID})
	_, err := s.post(ctx, "ai/stream/stop", body, "")
	return err
}
