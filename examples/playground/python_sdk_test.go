package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

// pyToken is livepeer_gateway/token.py parse_token's view of a token:
// strict standard base64 (validate=True, padding required) of a JSON object.
type pyToken struct {
	Signer           string            `json:"signer"`
	SignerHeaders    map[string]string `json:"signer_headers"`
	Discovery        string            `json:"discovery"`
	DiscoveryHeaders map[string]string `json:"discovery_headers"`
}

func parsePyToken(t *testing.T, token string) pyToken {
	t.Helper()
	raw, err := base64.StdEncoding.Strict().DecodeString(token)
	require.NoError(t, err, "Invalid token: expected base64-encoded JSON")
	var tok pyToken
	require.NoError(t, json.Unmarshal(raw, &tok), "Invalid token: payload must be a JSON object")
	return tok
}

// pyRequestJSON is orchestrator.py request_json: Accept and User-Agent on
// every call, Content-Type with a body, the caller's headers merged last.
func pyRequestJSON(ctx context.Context, hc *http.Client, method, u string, headers map[string]string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "livepeer-python-gateway/0.1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// signerOrigin is remote_signer.py _http_origin: scheme://host[:port], the
// path dropped (main).
func signerOrigin(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u.Scheme + "://" + u.Host
}

// pythonSDKSession makes the HTTP calls the Python gateway SDK's
// start_lv2v(None, StartJobRequest(model_id=model, params=params),
// token=token) makes, then one recurring payment, as described in
// shared/reference/python-sdk.md (main): token → discovery (GET with caps)
// → POST /sign-orchestrator-info {} → GetOrchestrator (gRPC; here through
// the Go SDK, which signs again) → POST /generate-live-payment
// {orchestrator, type: lv2v} → POST {transcoder}/live-video-to-video with
// Livepeer-Payment and Livepeer-Segment → POST /generate-live-payment with
// ManifestID and state. It returns the manifest id.
func pythonSDKSession(t *testing.T, token, model string, params map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok := parsePyToken(t, token)
	require.NotEmpty(t, tok.Signer)
	hc := &http.Client{Timeout: 5 * time.Second}

	// Discovery: the token's discovery URL with its headers, one caps
	// parameter per (capability, model), "/" unescaped.
	du := tok.Discovery + "?caps=live-video-to-video/" + model
	st, body, err := pyRequestJSON(ctx, hc, http.MethodGet, du, tok.DiscoveryHeaders, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, st, "discovery: %s", body)
	var list []map[string]any
	require.NoError(t, json.Unmarshal(body, &list), "Discovery response must be a JSON list")
	var addrs []string
	for _, e := range list {
		if a, ok := e["address"].(string); ok && strings.TrimSpace(a) != "" {
			addrs = append(addrs, strings.TrimSpace(a))
		}
	}
	require.NotEmpty(t, addrs, "discovery lists orchestrators")

	// sign-orchestrator-info: POST {} with the signer headers.
	origin := signerOrigin(t, tok.Signer)
	st, body, err = pyRequestJSON(ctx, hc, http.MethodPost, origin+"/sign-orchestrator-info", tok.SignerHeaders, map[string]any{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, st, "sign-orchestrator-info: %s", body)
	var sig struct{ Address, Signature string }
	require.NoError(t, json.Unmarshal(body, &sig))
	require.Regexp(t, `^0x[0-9a-fA-F]{40}$`, sig.Address)

	// GetOrchestrator over gRPC (the Python SDK's grpc call; the Go SDK
	// does the same with the same signer credentials).
	gw, err := livepeer.NewGateway(livepeer.Config{Orchestrators: addrs[:1], SignerURL: origin, SignerHeaders: tok.SignerHeaders})
	require.NoError(t, err)
	defer gw.Close()
	infos, err := gw.Orchestrators(ctx, "live-video-to-video/"+model)
	require.NoError(t, err)
	require.NotEmpty(t, infos)
	oinfo := infos[0].Protobuf()
	require.NoError(t, err)
	orch := base64.StdEncoding.EncodeToString(oinfo)

	// The first payment (no ManifestID, no state).
	st, body, err = pyRequestJSON(ctx, hc, http.MethodPost, origin+"/generate-live-payment", tok.SignerHeaders, map[string]any{"orchestrator": orch, "type": "lv2v"})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, st, "generate-live-payment: %s", body)
	var pay struct {
		Payment  string          `json:"payment"`
		SegCreds string          `json:"segCreds"`
		State    json.RawMessage `json:"state"`
	}
	require.NoError(t, json.Unmarshal(body, &pay))
	require.NotEmpty(t, pay.Payment)

	// /live-video-to-video on the orchestrator, TLS unverified as the SDK does.
	ohc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer ohc.CloseIdleConnections()
	start, _ := json.Marshal(map[string]any{"model_id": model, "params": params})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(infos[0].Transcoder, "/")+"/live-video-to-video", bytes.NewReader(start))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Livepeer-Payment", pay.Payment)
	req.Header.Set("Livepeer-Segment", pay.SegCreds)
	resp, err := ohc.Do(req)
	require.NoError(t, err)
	job, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "live-video-to-video: %s", job)
	var started struct {
		ManifestID string `json:"manifest_id"`
		ControlURL string `json:"control_url"`
	}
	require.NoError(t, json.Unmarshal(job, &started))
	require.NotEmpty(t, started.ManifestID)

	// A recurring payment: ManifestID (that casing) and the state back.
	st, body, err = pyRequestJSON(ctx, hc, http.MethodPost, origin+"/generate-live-payment", tok.SignerHeaders,
		map[string]any{"orchestrator": orch, "type": "lv2v", "ManifestID": started.ManifestID, "state": pay.State})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusOK, 482}, st, "recurring payment: %s", body)

	// Stop the stream the way the SDK's close() leaves it: the control
	// channel goes away (the orchestrator then ends the stream).
	if started.ControlURL != "" {
		req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, started.ControlURL, nil)
		if resp, err := ohc.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	return started.ManifestID
}

// pyTokenLine finds the TOKEN = "..." line of the Python snippet.
var pyTokenLine = regexp.MustCompile(`(?m)^TOKEN = "([^"]*)"$`)

// pageToken is what app.js renderSnippets puts in the Python snippet for key.
func pageToken(sn workflow.Snippets, key string) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(sn.TokenJSON, workflow.KeyPlaceholder, key)))
}

// TestPythonSnippetTokenWorks: the token the card puts into the Python
// snippet (the key from /keys inside) works against the running server
// with the HTTP calls the Python gateway SDK makes, and the session is
// billed to the key's account; without a key the page shows a visible
// placeholder, never a token.
func TestPythonSnippetTokenWorks(t *testing.T) {
	a := newTestApp(t, 1_000_000_000_000_000)
	b := newBrowser(t, a.URL)
	b.signUp("py@example.com", "correct horse battery")
	key := b.createKey("python")
	wf := workflow.StreamDiffusion()
	m, _ := wf.Model("")
	form := map[string]any{}
	for _, p := range wf.Params {
		form[p.Name] = m.Defaults[p.Name]
	}
	sn := b.pageSnippets(m.ID, form)
	mm := pyTokenLine.FindStringSubmatch(sn.Python)
	require.NotNil(t, mm)
	require.Equal(t, workflow.TokenPlaceholder, mm[1], "no key: the placeholder is shown, not a token")

	py := strings.ReplaceAll(sn.Python, workflow.TokenPlaceholder, pageToken(sn, key))
	mm = pyTokenLine.FindStringSubmatch(py)
	require.NotNil(t, mm)
	tok := parsePyToken(t, mm[1])
	require.Equal(t, "Bearer "+key, tok.SignerHeaders["Authorization"])
	require.Equal(t, a.URL, tok.Signer)

	u, err := a.Store.UserByEmail(context.Background(), "py@example.com")
	require.NoError(t, err)
	mid := pythonSDKSession(t, mm[1], m.ID, m.Copy())
	us, err := a.Store.Usage(context.Background(), u.ID)
	require.NoError(t, err)
	require.Positive(t, us.Payments, "the Python-style session was billed to the key's account")
	t.Logf("manifest %s: %d payments, %s", mid, us.Payments, fmt.Sprint(us.SpentWei)+" wei")

	// The placeholder token (what the page never renders) is refused.
	bad := base64.StdEncoding.EncodeToString([]byte(sn.TokenJSON))
	st, _, err := pyRequestJSON(context.Background(), http.DefaultClient, http.MethodGet, parsePyToken(t, bad).Discovery, parsePyToken(t, bad).DiscoveryHeaders, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, st)
}
