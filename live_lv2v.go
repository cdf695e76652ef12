package livepeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// lv2vStartRequest is the body of POST /live-video-to-video, as the Python
// SDK's StartJobRequest sends it (nil fields omitted).
type lv2vStartRequest struct {
	ModelID          string         `json:"model_id"`
	Params           map[string]any `json:"params,omitempty"`
	GatewayRequestID string         `json:"gateway_request_id,omitempty"`
	StreamID         string         `json:"stream_id,omitempty"`
}

// lv2vStartResponse is go-livepeer's LiveVideoToVideoResponse.
type lv2vStartResponse struct {
	PublishURL   string `json:"publish_url"`
	SubscribeURL string `json:"subscribe_url"`
	ControlURL   string `json:"control_url"`
	EventsURL    string `json:"events_url"`
	ManifestID   string `json:"manifest_id"`
}

// liveLV2V selects an orchestrator for c and starts the stream, failing over
// while starts are refused.
func (g *Gateway) liveLV2V(ctx context.Context, c discovery.Capability, o *LiveOptions) (*LiveSession, error) {
	sel, err := g.Select(ctx, c.String())
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(lv2vStartRequest{ModelID: c.Model, Params: o.Params, GatewayRequestID: o.RequestID, StreamID: o.StreamID})
	if err != nil {
		return nil, &ConfigError{Field: "Params", Reason: err.Error()}
	}
	for {
		info, err := sel.Next(ctx)
		if err != nil {
			return nil, err
		}
		s, err := g.startLV2V(ctx, info, c, o, body)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livepeer: live: %w", ctx.Err())
		}
		// Out of credit everywhere: trying the next orchestrator will not help.
		if errors.Is(err, ErrInsufficientBalance) && !isOrchestratorRefusal(err) {
			return nil, err
		}
		g.set.log.Debug("live: start refused, trying the next orchestrator", "orchestrator", info.Addr, "error", err)
		sel.Reject(info, err)
	}
}

// isOrchestratorRefusal reports whether err is an orchestrator's HTTP answer
// (as opposed to the signer refusing to pay).
func isOrchestratorRefusal(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Op == "live-video-to-video"
}

// startLV2V starts the job on one orchestrator: initial payment, POST
// {transcoder}/live-video-to-video, manifest id, then channels and payments.
func (g *Gateway) startLV2V(ctx context.Context, info *discovery.Info, c discovery.Capability, o *LiveOptions, body []byte) (*LiveSession, error) {
	pay, err := g.NewPaymentSession(info, payment.Config{})
	if err != nil {
		return nil, err
	}
	s := g.newLiveSession(info, c.String())
	s.info.Kind = "lv2v"
	s.pay = pay
	fail := func(err error) (*LiveSession, error) {
		_ = pay.Close()
		s.abandon()
		return nil, err
	}
	p, err := pay.Next(ctx)
	if err != nil {
		return fail(err)
	}
	rctx, cancel := context.WithTimeout(ctx, g.startTimeout(o))
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.info.Orchestrator+"/live-video-to-video", bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// Offchain the payment is empty; go-livepeer still reads both headers.
	req.Header.Set(payment.HeaderPayment, p.Payment)
	req.Header.Set(payment.HeaderSegment, p.SegCreds)
	resp, err := s.hc.Do(req)
	if err != nil {
		return fail(fmt.Errorf("livepeer: live-video-to-video at %s: %w: %w", info.Addr, ErrOrchestratorUnavailable, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, lperr.MaxErrorBody))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		e := lperr.ReadAPIError("live-video-to-video", resp, rejectionKind(resp.StatusCode, string(b)))
		e.Orchestrator = info.Addr
		return fail(e)
	}
	var out lv2vStartResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return fail(fmt.Errorf("livepeer: live-video-to-video answer from %s: %w: %w", info.Addr, ErrOrchestratorUnavailable, err))
	}
	if out.ManifestID == "" {
		return fail(fmt.Errorf("livepeer: live-video-to-video answer from %s has no manifest_id: %w", info.Addr, ErrOrchestratorUnavailable))
	}
	pay.SetManifestID(out.ManifestID)
	s.info.ManifestID, s.info.StreamID = out.ManifestID, o.StreamID
	s.info.PublishURL, s.info.SubscribeURL = out.PublishURL, out.SubscribeURL
	s.info.ControlURL, s.info.EventsURL = out.ControlURL, out.EventsURL
	if err := s.start(ctx, o, pay.SendLV2V); err != nil {
		s.end(err)
		<-s.done
		return nil, err
	}
	g.set.log.Debug("live: started", "orchestrator", info.Addr, "manifest_id", out.ManifestID)
	return s, nil
}
