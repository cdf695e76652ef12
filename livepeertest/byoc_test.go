package livepeertest

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func byocClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // test orchestrator
}

func newBYOCOrch(t *testing.T, offchain bool, cfg BYOCConfig) (*Orchestrator, *BYOCServer) {
	t.Helper()
	o, err := newOrchestrator(orchestratorConfig{Offchain: offchain, Capabilities: []CapabilitySpec{
		{Name: "byoc/text-reversal"}, {Name: "byoc/stream"},
	}})
	require.NoError(t, err)
	s := EnableBYOC(o, cfg)
	t.Cleanup(func() { _ = s.Close(); o.Close() })
	return o, s
}

func signedJob(t *testing.T, capability string, sign bool) string {
	t.Helper()
	j := &byocwire.JobRequest{ID: "j", Request: "{}", Parameters: "{}", Capability: capability, TimeoutSeconds: 5}
	if sign {
		key, err := eth.GenerateKey()
		require.NoError(t, err)
		require.NoError(t, j.SignV0(key))
	}
	h, err := j.Encode()
	require.NoError(t, err)
	return h
}

func postJob(t *testing.T, o *Orchestrator, path, header, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, o.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(lphttp.HeaderJob, header)
	}
	resp, err := byocClient().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestBYOCJobChecks(t *testing.T) {
	o, s := newBYOCOrch(t, false, BYOCConfig{})
	_, err := s.ServeWorker("text-reversal", 1, worker.TextReversal())
	require.NoError(t, err)

	// A signed job runs (price 0 here); the worker's answer comes back with Livepeer-Balance.
	resp := postJob(t, o, "/process/request/reverse-text", signedJob(t, "text-reversal", true), `{"text":"abc"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "0", resp.Header.Get(lphttp.HeaderBalance))
	b, _ := io.ReadAll(resp.Body)
	require.JSONEq(t, `{"original":"abc","reversed":"cba"}`, string(b))

	// On-chain, an unsigned job fails the V0 signature check.
	resp = postJob(t, o, "/process/request/", signedJob(t, "text-reversal", false), `{}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	b, _ = io.ReadAll(resp.Body)
	require.Contains(t, string(b), "Could not verify job creds")

	// No header, no timeout.
	resp = postJob(t, o, "/process/request/", "", `{}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	noTimeout, _ := (&byocwire.JobRequest{Request: "{}"}).Encode()
	resp = postJob(t, o, "/process/request/", noTimeout, `{}`)
	b, _ = io.ReadAll(resp.Body)
	require.Contains(t, string(b), "timeout_seconds")

	// A capability without a worker has no capacity.
	resp = postJob(t, o, "/process/request/", signedJob(t, "stream", true), `{}`)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	b, _ = io.ReadAll(resp.Body)
	require.Contains(t, string(b), "No capacity available for capability")
	require.Equal(t, 1, s.rejectedCount(http.StatusServiceUnavailable))
	require.Equal(t, 1, s.Jobs())
}

func TestBYOCTokenAndRegistration(t *testing.T) {
	o, s := newBYOCOrch(t, true, BYOCConfig{Secret: "orch-secret"})
	hc := byocClient()
	register := func(secret, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, o.URL()+"/capability/register", strings.NewReader(body))
		req.Header.Set("Authorization", secret)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, _ := register("wrong", `{"name":"text-reversal","url":"http://127.0.0.1:1"}`)
	require.Equal(t, http.StatusBadRequest, code)
	code, body := register("orch-secret", `{"name":"text-reversal","url":"http://127.0.0.1:1","capacity":3,"price_per_unit":0,"price_scaling":1,"currency":"wei"}`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok", body)
	code, _ = register("orch-secret", `{"name":"undeclared","url":"http://127.0.0.1:1"}`)
	require.Equal(t, http.StatusBadRequest, code)

	key, _ := eth.GenerateKey()
	snd, _ := byocwire.NewJobSender(key)
	eth, _ := snd.Encode()
	req, _ := http.NewRequest(http.MethodGet, o.URL()+"/process/token", nil)
	req.Header.Set(lphttp.HeaderEthAddress, eth)
	req.Header.Set(lphttp.HeaderCapability, "text-reversal")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var raw map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	require.Equal(t, float64(3), raw["available_capacity"])
	require.Equal(t, map[string]any{"pixelsPerUnit": float64(1)}, raw["price"], "off-chain price 0/1")
	require.Equal(t, o.URL(), raw["service_addr"])

	req, _ = http.NewRequest(http.MethodPost, o.URL()+"/capability/unregister", strings.NewReader("text-reversal"))
	req.Header.Set("Authorization", "orch-secret")
	resp2, err := hc.Do(req)
	require.NoError(t, err)
	resp2.Body.Close()
	require.Equal(t, http.StatusOK, resp2.StatusCode)
	require.False(t, s.registered("text-reversal"))
}

func TestBYOCRelayEmulatesBlankLinesAfterDone(t *testing.T) {
	o, s := newBYOCOrch(t, true, BYOCConfig{})
	_, err := s.ServeWorker("stream", 1, &worker.Streamer{Count: 2})
	require.NoError(t, err)
	resp := postJob(t, o, "/process/request/", signedJob(t, "stream", false), `{}`)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	require.Equal(t, "0", resp.Header.Get(lphttp.HeaderPaymentBalance))
	br := bufio.NewReader(resp.Body)
	var lines []string
	for len(lines) < 20 {
		l, err := br.ReadString('\n')
		require.NoError(t, err)
		lines = append(lines, strings.TrimRight(l, "\n"))
	}
	text := strings.Join(lines, "\n")
	require.Contains(t, text, "data: {\"balance\": 0.000}\n\n\ndata: [DONE]")
	require.Equal(t, []string{"", "", "", ""}, lines[16:20], "master keeps writing blank lines after [DONE]")
}
