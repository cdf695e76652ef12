package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/media"
)

// The Python gateway SDK (livepeer-python-gateway main, examples/) cannot
// be installed here (no PyPI), so this test makes the HTTP calls its
// examples make, in their order and shape (src/livepeer_gateway:
// token.py, orchestrator.py, remote_signer.py, lv2v.py, control.py,
// trickle_publisher.py, trickle_subscriber.py; see
// shared/reference/python-sdk.md), against an lpgw devnet:
//
//	get_orchestrator_info.py --token T
//	select_orchestrator.py --signer S --model noop
//	start_job.py / payments.py / write_frames.py / subscribe_events.py /
//	  write_control.py --signer S   (model "noop")
//
// Only GetOrchestrator goes through the Go SDK: it is gRPC, the same call
// with the same signer credentials.

// pyClient is orchestrator.py request_json plus the unverified TLS every
// Python HTTP call to an orchestrator uses (ssl._create_unverified_context).
type pyClient struct {
	t  *testing.T
	hc *http.Client
}

func newPyClient(t *testing.T) *pyClient {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	t.Cleanup(tr.CloseIdleConnections)
	return &pyClient{t: t, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// do sends one request; a JSON body gets request_json's headers.
func (c *pyClient) do(ctx context.Context, method, u string, hdr map[string]string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	require.NoError(c.t, err)
	if _, isJSON := body.([]byte); body != nil && !isJSON {
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "livepeer-python-gateway/0.1")
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err, "%s %s", method, u)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, resp.Header, out
}

// discover is orchestrator.py discover_orchestrators: GET the endpoint,
// one caps parameter per (capability, model), "/" left unescaped; the
// addresses of a JSON list, in order.
func (c *pyClient) discover(ctx context.Context, endpoint string, caps ...string) []string {
	c.t.Helper()
	u := endpoint
	for i, cp := range caps {
		sep := "&"
		if i == 0 && !strings.Contains(u, "?") {
			sep = "?"
		}
		u += sep + "caps=" + cp
	}
	st, _, body := c.do(ctx, http.MethodGet, u, nil, nil)
	require.Equal(c.t, http.StatusOK, st, "discovery %s: %s", u, body)
	var list []map[string]any
	require.NoError(c.t, json.Unmarshal(body, &list), "Discovery response must be a JSON list")
	var out []string
	for _, e := range list {
		if a, ok := e["address"].(string); ok && strings.TrimSpace(a) != "" {
			out = append(out, strings.TrimSpace(a))
		}
	}
	return out
}

// origin is remote_signer.py _http_origin (main drops the path).
func origin(t *testing.T, s string) string {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u.Scheme + "://" + u.Host
}

// getOrchInfo is orch_info.py get_orch_info: POST /sign-orchestrator-info
// {} (address 20 bytes), then GetOrchestrator (gRPC, here via the Go SDK)
// with or without a capability.
func (c *pyClient) getOrchInfo(ctx context.Context, signer, addr, capability string) *discovery.Info {
	c.t.Helper()
	st, _, body := c.do(ctx, http.MethodPost, origin(c.t, signer)+"/sign-orchestrator-info", nil, map[string]any{})
	require.Equal(c.t, http.StatusOK, st, "sign-orchestrator-info: %s", body)
	var sig struct{ Address, Signature string }
	require.NoError(c.t, json.Unmarshal(body, &sig))
	require.Regexp(c.t, `^0x[0-9a-fA-F]{40}$`, sig.Address)
	gw, err := livepeer.NewGateway(livepeer.Config{Orchestrators: []string{addr}, SignerURL: origin(c.t, signer)})
	require.NoError(c.t, err)
	defer gw.Close()
	infos, err := gw.Orchestrators(ctx, capability)
	require.NoError(c.t, err)
	require.Len(c.t, infos, 1)
	return infos[0]
}

// payment is remote_signer.py PaymentSession.get_payment's answer.
type pyPayment struct {
	Payment  string          `json:"payment"`
	SegCreds string          `json:"segCreds"`
	State    json.RawMessage `json:"state"`
}

// getPayment is PaymentSession.get_payment: {orchestrator, type: lv2v},
// plus ManifestID (that casing) and state once known.
func (c *pyClient) getPayment(ctx context.Context, signer string, info *discovery.Info, manifestID string, state json.RawMessage) pyPayment {
	c.t.Helper()
	req := map[string]any{"orchestrator": base64.StdEncoding.EncodeToString(info.Protobuf()), "type": "lv2v"}
	if manifestID != "" {
		req["ManifestID"] = manifestID
	}
	if state != nil {
		req["state"] = state
	}
	st, _, body := c.do(ctx, http.MethodPost, origin(c.t, signer)+"/generate-live-payment", nil, req)
	require.Equal(c.t, http.StatusOK, st, "generate-live-payment: %s", body)
	var p pyPayment
	require.NoError(c.t, json.Unmarshal(body, &p))
	require.NotEmpty(c.t, p.Payment)
	require.True(c.t, len(p.State) > 0 && p.State[0] == '{', "state must be an object")
	return p
}

// publish is TricklePublisher: the first segment resolves its seq with
// GET {url}/next (Lp-Trickle-Latest) and carries Lp-Trickle-Reset: 1;
// each segment is POST {url}/{seq}. It returns the next seq.
func (c *pyClient) publish(ctx context.Context, chURL, mime string, seq int, data []byte) int {
	c.t.Helper()
	hdr := map[string]string{"Content-Type": mime}
	if seq < 0 {
		st, h, body := c.do(ctx, http.MethodGet, chURL+"/next", nil, nil)
		require.Equal(c.t, http.StatusOK, st, "%s/next: %s", chURL, body)
		var err error
		seq, err = strconv.Atoi(h.Get("Lp-Trickle-Latest"))
		require.NoError(c.t, err, "Lp-Trickle-Latest")
		hdr["Lp-Trickle-Reset"] = "1"
	}
	st, _, body := c.do(ctx, http.MethodPost, chURL+"/"+strconv.Itoa(seq), hdr, data)
	require.Equal(c.t, http.StatusOK, st, "POST %s/%d: %s", chURL, seq, body)
	return seq + 1
}

// subscribe is TrickleSubscriber.next for one segment: GET {url}/{seq}
// (-2 at first), the seq it got in Lp-Trickle-Seq.
func (c *pyClient) subscribe(ctx context.Context, chURL string, seq int) ([]byte, int) {
	c.t.Helper()
	st, h, body := c.do(ctx, http.MethodGet, chURL+"/"+strconv.Itoa(seq), nil, nil)
	require.Equal(c.t, http.StatusOK, st, "GET %s/%d: %s", chURL, seq, body)
	got, err := strconv.Atoi(h.Get("Lp-Trickle-Seq"))
	require.NoError(c.t, err, "Lp-Trickle-Seq")
	return body, got
}

func TestPythonSDKExamplesAgainstDevnet(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	d := startTestDevnet(t, "--orchestrators", "2")
	py := newPyClient(t)

	// token.py parse_token: strict standard base64 of a JSON object.
	raw, err := base64.StdEncoding.Strict().DecodeString(d.info.Token)
	require.NoError(t, err, "Invalid token: expected base64-encoded JSON")
	var tok struct{ Signer, Discovery string }
	require.NoError(t, json.Unmarshal(raw, &tok))
	require.Equal(t, d.info.Signer, tok.Signer)
	require.Equal(t, d.info.Discovery, tok.Discovery)

	// get_orchestrator_info.py --token T: the token's discovery, then each
	// orchestrator's info without capabilities (capabilities, prices).
	addrs := py.discover(ctx, tok.Discovery)
	require.Len(t, addrs, len(d.info.Orchestrators))
	for _, a := range addrs {
		info := py.getOrchInfo(ctx, tok.Signer, a, "")
		require.NotEmpty(t, info.Transcoder)
		require.False(t, info.Address.IsZero())
		noop, _ := discovery.ParseCapability("live-video-to-video/noop")
		require.True(t, info.HasCapability(noop))
		require.NotEmpty(t, info.CapabilityPrices, "pricing: capabilities_prices")
	}

	// select_orchestrator.py --signer S --model noop: the signer's
	// discovery with the capability filter, then GetOrchestrator with it.
	signerDisc := origin(t, tok.Signer) + "/discover-orchestrators"
	addrs = py.discover(ctx, signerDisc, "live-video-to-video/noop")
	require.Len(t, addrs, len(d.info.Orchestrators))
	info := py.getOrchInfo(ctx, tok.Signer, addrs[0], "live-video-to-video/noop")
	require.NotNil(t, info.TicketParams, "on-chain: ticket params to pay with")

	// start_job.py --signer S (start_lv2v): first payment, then
	// POST {transcoder}/live-video-to-video with the payment headers.
	first := py.getPayment(ctx, tok.Signer, info, "", nil)
	st, _, body := py.do(ctx, http.MethodPost, strings.TrimRight(info.Transcoder, "/")+"/live-video-to-video",
		map[string]string{"Livepeer-Payment": first.Payment, "Livepeer-Segment": first.SegCreds},
		map[string]any{"model_id": "noop"})
	require.Equal(t, http.StatusOK, st, "live-video-to-video: %s", body)
	var job struct {
		ManifestID   string `json:"manifest_id"`
		PublishURL   string `json:"publish_url"`
		SubscribeURL string `json:"subscribe_url"`
		ControlURL   string `json:"control_url"`
		EventsURL    string `json:"events_url"`
	}
	require.NoError(t, json.Unmarshal(body, &job))
	require.NotEmpty(t, job.ManifestID)
	for _, u := range []string{job.PublishURL, job.SubscribeURL, job.ControlURL, job.EventsURL} {
		require.True(t, strings.HasPrefix(u, "https://127.0.0.1:"), u)
	}

	// subscribe_events.py: the events channel from -2 (ChannelReader: one
	// JSON object per segment).
	evBody, evSeq := py.subscribe(ctx, job.EventsURL, -2)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(evBody, &ev), "%s", evBody)

	// write_frames.py: MediaPublish posts MPEG-TS segments to publish_url.
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 320, Height: 180, Duration: 2 * time.Second,
		Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	require.NoError(t, err)
	var segs media.BufferSink
	_, err = media.Resegment(ctx, src, &segs, media.ResegmentOptions{})
	require.NoError(t, err)
	require.NoError(t, src.Wait())
	require.GreaterOrEqual(t, len(segs.Segments()), 2)
	seq := -1
	for _, s := range segs.Segments() {
		seq = py.publish(ctx, job.PublishURL, "video/mp2t", seq, s)
	}

	// payments.py: a payment per output segment (≥ 5 s apart in the SDK;
	// here one): the output of the passthrough is the input, byte for byte.
	out, outSeq := py.subscribe(ctx, job.SubscribeURL, -2)
	require.Contains(t, [][]byte{segs.Segments()[0], segs.Segments()[len(segs.Segments())-1]}, out, "noop echoes a segment (seq %d)", outSeq)
	next := py.getPayment(ctx, tok.Signer, info, job.ManifestID, first.State)
	st, _, body = py.do(ctx, http.MethodPost, origin(t, info.Transcoder)+"/payment",
		map[string]string{"Livepeer-Payment": next.Payment, "Livepeer-Segment": next.SegCreds}, []byte{})
	require.Equal(t, http.StatusOK, st, "POST /payment: %s", body)

	// write_control.py: {"type":"ping","n":i} on the control channel; the
	// pipeline answers on the events channel.
	cseq := -1
	for i := range 2 {
		msg, _ := json.Marshal(map[string]any{"type": "ping", "n": i})
		cseq = py.publish(ctx, job.ControlURL, "application/json", cseq, msg)
	}
	for range 10 {
		evSeq++
		evBody, _ = py.subscribe(ctx, job.EventsURL, evSeq)
		if bytes.Contains(evBody, []byte("params_update")) {
			break
		}
	}
	require.Contains(t, string(evBody), "params_update", "the control message reached the pipeline")

	// job.close(): the publishers DELETE their channels.
	for _, u := range []string{job.ControlURL, job.PublishURL} {
		st, _, body = py.do(ctx, http.MethodDelete, u, nil, nil)
		require.Equal(t, http.StatusOK, st, "DELETE %s: %s", u, body)
	}
	require.NoError(t, d.stop())
}
