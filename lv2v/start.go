package lv2v

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// Candidates hands out the orchestrators to try, best first, and records
// why one was not used. *discovery.Selector implements it.
type Candidates interface {
	Next(ctx context.Context) (*discovery.Info, error)
	Reject(info *discovery.Info, err error)
}

// Payments opens a payment session with an orchestrator.
// *livepeer.Gateway implements it.
type Payments interface {
	NewPaymentSession(info *discovery.Info, cfg payment.Config) (*payment.Session, error)
}

// Doer sends one HTTP request to an orchestrator. *http.Client implements it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// startRequest is the body of POST /live-video-to-video (go-livepeer
// LiveVideoToVideoParams, as the Python SDK's StartJobRequest sends it;
// empty fields are left out).
type startRequest struct {
	ModelID          string `json:"model_id"`
	Params           any    `json:"params,omitempty"`
	GatewayRequestID string `json:"gateway_request_id,omitempty"`
	StreamID         string `json:"stream_id,omitempty"`
}

// startResponse is the answer (go-livepeer LiveVideoToVideoResponse).
type startResponse struct {
	PublishURL   string `json:"publish_url"`
	SubscribeURL string `json:"subscribe_url"`
	ControlURL   string `json:"control_url"`
	EventsURL    string `json:"events_url"`
	ManifestID   string `json:"manifest_id"`
}

// Config configures a Client.
type Config struct {
	// Payments opens the streams' payment sessions (required).
	Payments Payments
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
}

// Client starts live-video-to-video streams. Safe for concurrent use.
type Client struct {
	payments Payments
	log      *slog.Logger
}

// New returns a Client; a missing Payments gives a *livepeer.ConfigError.
func New(cfg Config) (*Client, error) {
	if cfg.Payments == nil {
		return nil, &lperr.ConfigError{Field: "Payments", Reason: "required"}
	}
	c := &Client{payments: cfg.Payments, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// StreamSpec describes a stream to start.
type StreamSpec struct {
	// Model is the pipeline's model id ("streamdiffusion", "noop"). Required.
	Model string
	// Params are the pipeline's initial parameters (the start body's
	// "params"; must encode to a JSON object; nil sends none).
	Params any
	// RequestID is sent as gateway_request_id; StreamID as stream_id.
	RequestID, StreamID string
	// StartTimeout bounds each orchestrator's start request (default 10 s).
	StartTimeout time.Duration
}

// Channels are a stream's trickle channel URLs.
type Channels struct {
	Publish   string // media in
	Subscribe string // media out
	Control   string // control messages in
	Events    string // events out
}

// Stream is a live-video-to-video stream an orchestrator started, with the
// payment session that keeps paying it.
type Stream struct {
	// Orchestrator is the orchestrator running it.
	Orchestrator *discovery.Info
	// ManifestID is the orchestrator's id for the stream (payments carry it).
	ManifestID string
	// Channels are the start answer's channel URLs.
	Channels Channels
	// Payment is the stream's payment session (its manifest id set).
	Payment *payment.Session
}

// Pay sends the next payment: payment.Session.SendLV2V (an error wrapping
// livepeer.ErrNoTicketsNeeded when nothing was due).
func (s *Stream) Pay(ctx context.Context) error { return s.Payment.SendLV2V(ctx) }

// Close closes the payment session (the stream itself ends when its input
// channel is deleted).
func (s *Stream) Close() error { return s.Payment.Close() }

// Start starts spec on the first candidate that accepts it, failing over
// while starts are refused; an out-of-credit answer from the signer ends the
// search (trying the next orchestrator would not help). hc is used for the
// start request.
//
// Errors: a *livepeer.ConfigError for a bad request; the candidates' error
// (*livepeer.NoOrchestratorError listing every refusal) when none started
// it; an error wrapping livepeer.ErrInsufficientBalance when the payer is
// out of credit; ctx.Err() wrapped.
func (c *Client) Start(ctx context.Context, hc Doer, cands Candidates, spec StreamSpec) (*Stream, error) {
	if spec.Model == "" || strings.ContainsAny(spec.Model, "/\r\n") {
		return nil, &lperr.ConfigError{Field: "model", Reason: fmt.Sprintf("%q: live-video-to-video needs a model: \"live-video-to-video/<model>\"", spec.Model)}
	}
	body, err := json.Marshal(startRequest{ModelID: spec.Model, Params: spec.Params, GatewayRequestID: spec.RequestID, StreamID: spec.StreamID})
	if err != nil {
		return nil, &lperr.ConfigError{Field: "params", Reason: err.Error()}
	}
	var shape struct{ Params json.RawMessage }
	_ = json.Unmarshal(body, &shape) // just marshalled
	if p := bytes.TrimSpace(shape.Params); len(p) > 0 && p[0] != '{' && string(p) != "null" {
		return nil, &lperr.ConfigError{Field: "params", Reason: "must encode to a JSON object"}
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = 10 * time.Second
	}
	for {
		info, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		s, err := c.start(ctx, hc, info, body, spec.StartTimeout)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("lv2v: start: %w", ctx.Err())
		}
		// Out of credit at the signer: the next orchestrator will not help.
		if errors.Is(err, lperr.ErrInsufficientBalance) && !isOrchestratorAnswer(err) {
			return nil, err
		}
		c.log.Debug("live-video-to-video start refused, trying the next orchestrator", "orchestrator", info.Addr, "error", err)
		cands.Reject(info, err)
	}
}

// isOrchestratorAnswer reports whether err is the orchestrator's HTTP
// answer (as opposed to the signer refusing to pay).
func isOrchestratorAnswer(err error) bool {
	var ae *lperr.APIError
	return errors.As(err, &ae) && ae.Op == "live-video-to-video"
}

// start starts the job on one orchestrator: first payment, POST
// {transcoder}/live-video-to-video, manifest id.
func (c *Client) start(ctx context.Context, hc Doer, info *discovery.Info, body []byte, startTimeout time.Duration) (*Stream, error) {
	pay, err := c.payments.NewPaymentSession(info, payment.Config{})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Stream, error) {
		_ = pay.Close()
		return nil, err
	}
	p, err := pay.Next(ctx)
	if err != nil {
		return fail(err)
	}
	rctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	url := strings.TrimRight(info.Transcoder, "/") + "/live-video-to-video"
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// Off-chain the payment is empty; go-livepeer still reads both headers.
	req.Header.Set(payment.HeaderPayment, p.Payment)
	req.Header.Set(payment.HeaderSegment, p.SegCreds)
	resp, err := hc.Do(req)
	if err != nil {
		return fail(fmt.Errorf("lv2v: start at %s: %w: %w", info.Addr, lperr.ErrOrchestratorUnavailable, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(lperr.ReadOrchestratorError("live-video-to-video", info.Addr, resp))
	}
	var out startResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return fail(fmt.Errorf("lv2v: start answer from %s: %w: %w", info.Addr, lperr.ErrOrchestratorUnavailable, err))
	}
	if out.ManifestID == "" {
		return fail(fmt.Errorf("lv2v: start answer from %s has no manifest_id: %w", info.Addr, lperr.ErrOrchestratorUnavailable))
	}
	pay.SetManifestID(out.ManifestID)
	c.log.Debug("live-video-to-video started", "orchestrator", info.Addr, "manifest_id", out.ManifestID)
	return &Stream{Orchestrator: info, ManifestID: out.ManifestID, Payment: pay, Channels: Channels{
		Publish: out.PublishURL, Subscribe: out.SubscribeURL, Control: out.ControlURL, Events: out.EventsURL,
	}}, nil
}
