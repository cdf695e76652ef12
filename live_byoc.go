package livepeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/byoc"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// defaultBYOCStreamTimeout is the BYOC timeout_seconds of a stream job.
const defaultBYOCStreamTimeout = 30 * time.Second

// liveBYOC is the BYOC part of a live session: the signed job header that
// names the stream on update, payment and stop.
type liveBYOC struct {
	name  string // capability name
	id    string // stream id
	creds *jobCreds
	info  *discovery.Info
}

// liveBYOC starts a BYOC stream for c on the first orchestrator that
// accepts it. Each orchestrator is asked once, so a stream id is never
// started twice on one orchestrator (go-livepeer would close the first).
func (g *Gateway) liveBYOC(ctx context.Context, c discovery.Capability, o *LiveOptions) (*LiveSession, error) {
	name := c.Model
	if strings.ContainsAny(name, "/\r\n") {
		return nil, &ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a BYOC capability name", name)}
	}
	id := o.StreamID
	if id == "" {
		id = newJobID()
	}
	if strings.ContainsAny(id, "/?#\r\n") {
		return nil, &ConfigError{Field: "StreamID", Reason: "must not contain '/', '?', '#' or line breaks"}
	}
	params := o.Params
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		return nil, &ConfigError{Field: "Params", Reason: err.Error()}
	}
	creds, err := g.signStreamJob(ctx, name, id, o)
	if err != nil {
		return nil, err
	}
	sel, err := g.Select(ctx, c.String())
	if err != nil {
		return nil, err
	}
	for {
		info, err := sel.Next(ctx)
		if err != nil {
			return nil, err
		}
		s, err := g.startBYOCStream(ctx, info, c, name, id, creds, body, o)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livepeer: live: %w", ctx.Err())
		}
		g.set.log.Debug("live: BYOC stream start refused, trying the next orchestrator", "orchestrator", info.Addr, "error", err)
		sel.Reject(info, err)
	}
}

// signStreamJob builds the stream's Livepeer header: request
// {"stream_id": id}, parameters with the enable_* flags, id = stream id.
func (g *Gateway) signStreamJob(ctx context.Context, name, id string, o *LiveOptions) (*jobCreds, error) {
	timeout := o.JobTimeout
	if timeout <= 0 {
		timeout = defaultBYOCStreamTimeout
	}
	reqJSON, _ := json.Marshal(map[string]string{"stream_id": id})
	paramsJSON, _ := json.Marshal(map[string]bool{
		"enable_video_ingress": !o.NoVideoIngress,
		"enable_video_egress":  !o.NoVideoEgress,
		"enable_data_output":   o.DataOutput,
	})
	jo := newJobOptions(nil)
	jo.timeout, jo.key = timeout, o.SigningKey
	return g.signJobRequest(ctx, &byoc.JobRequest{ID: id, Request: string(reqJSON), Parameters: string(paramsJSON), Capability: name}, jo)
}

// startBYOCStream starts the stream on one orchestrator: job token and
// payment when priced, POST /ai/stream/start, channel URLs from the X-*-Url
// headers, then channels and (when priced) timer-driven stream payments.
func (g *Gateway) startBYOCStream(ctx context.Context, info *discovery.Info, c discovery.Capability, name, id string, creds *jobCreds, body []byte, o *LiveOptions) (*LiveSession, error) {
	s := g.newLiveSession(info, c.String())
	s.info.Kind = "byoc"
	s.byoc = &liveBYOC{name: name, id: id, creds: creds, info: info}
	fail := func(err error) (*LiveSession, error) {
		s.abandon()
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, g.startTimeout(o))
	defer cancel()
	tok, err := jobToken(rctx, s.hc, info, name, creds)
	if err != nil {
		return fail(err)
	}
	payHdr, err := g.pay(rctx, info, name, tok, creds)
	if err != nil {
		return fail(err)
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.info.Orchestrator+"/ai/stream/start", bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	s.byoc.headers(req.Header, payHdr)
	resp, err := s.hc.Do(req)
	if err != nil {
		return fail(fmt.Errorf("livepeer: ai/stream/start at %s: %w: %w", info.Addr, ErrOrchestratorUnavailable, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, lperr.MaxErrorBody))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		kind := rejectionKind(resp.StatusCode, string(b))
		if resp.StatusCode == http.StatusPaymentRequired {
			kind = ErrInsufficientBalance
		}
		e := lperr.ReadAPIError("ai/stream/start", resp, kind)
		e.Orchestrator = info.Addr
		return fail(e)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	h := resp.Header
	s.info.ManifestID, s.info.StreamID = id, id
	s.info.PublishURL, s.info.SubscribeURL = h.Get("X-Publish-Url"), h.Get("X-Subscribe-Url")
	s.info.ControlURL, s.info.EventsURL, s.info.DataURL = h.Get("X-Control-Url"), h.Get("X-Events-Url"), h.Get("X-Data-Url")
	var send func(context.Context) error
	if tok.PricePerSecond().Sign() > 0 {
		send = func(ctx context.Context) error { return s.byoc.payment(ctx, s) }
	}
	if err := s.start(ctx, o, send); err != nil {
		s.end(err)
		<-s.done
		return nil, err
	}
	g.set.log.Debug("live: BYOC stream started", "orchestrator", info.Addr, "stream_id", id)
	return s, nil
}

// headers sets the stream job headers on h, with a payment when non-empty.
func (b *liveBYOC) headers(h http.Header, pay string) {
	h.Set("Content-Type", "application/json")
	h.Set(byoc.HeaderJob, b.creds.header)
	h.Set(byoc.HeaderCapability, b.name)
	if pay != "" {
		h.Set("Livepeer-Payment", pay)
	}
}

// post sends one stream request and checks for 200.
func (b *liveBYOC) post(ctx context.Context, s *LiveSession, path string, body []byte, pay string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.info.Orchestrator+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	b.headers(req.Header, pay)
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("livepeer: %s at %s: %w: %w", strings.TrimPrefix(path, "/"), b.info.Addr, ErrOrchestratorUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		bb, _ := io.ReadAll(io.LimitReader(resp.Body, lperr.MaxErrorBody))
		resp.Body = io.NopCloser(bytes.NewReader(bb))
		e := lperr.ReadAPIError(strings.TrimPrefix(path, "/"), resp, rejectionKind(resp.StatusCode, string(bb)))
		e.Orchestrator = b.info.Addr
		return e
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return nil
}

// payment tops the (payer, capability) balance up when it is short and
// sends it on POST /ai/stream/payment.
func (b *liveBYOC) payment(ctx context.Context, s *LiveSession) error {
	tok, err := jobToken(ctx, s.hc, b.info, b.name, b.creds)
	if err != nil {
		return err
	}
	pay, err := s.g.pay(ctx, b.info, b.name, tok, b.creds)
	if err != nil {
		return err
	}
	if pay == "" {
		return ErrNoTicketsNeeded
	}
	return b.post(ctx, s, "/ai/stream/payment", nil, pay)
}

// update sends new parameters on POST /ai/stream/update.
func (b *liveBYOC) update(ctx context.Context, s *LiveSession, params []byte) error {
	if err := b.post(ctx, s, "/ai/stream/update", params, ""); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.sessionErr(err)
	}
	return nil
}

// stop sends POST /ai/stream/stop (bounded to 5 s; errors are only logged:
// the stream also ends when its channels go away).
func (b *liveBYOC) stop(s *LiveSession) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"stream_id": b.id})
	if err := b.post(ctx, s, "/ai/stream/stop", body, ""); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("live: BYOC stream stop failed", "stream_id", b.id, "error", err)
	}
}
