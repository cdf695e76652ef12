package livepeertest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// checkNoLeak fails the test if goroutines started during it are still running at cleanup.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var now int
		ok := false
		for i := 0; i < 100; i++ {
			if now = runtime.NumGoroutine(); now <= before {
				ok = true
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !ok {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
		}
	})
}

// rawClient is a client written from the wire format only (no SDK packages).
type rawClient struct {
	t    *testing.T
	http *http.Client
}

func newRawClient(t *testing.T) *rawClient {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &rawClient{t: t, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// signOrchInfo calls the signer's POST /sign-orchestrator-info.
func (c *rawClient) signOrchInfo(signerURL string) (eth.Address, []byte) {
	resp, err := c.http.Post(signerURL+"/sign-orchestrator-info", "application/json", nil)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	require.Equal(c.t, http.StatusOK, resp.StatusCode)
	var out struct{ Address, Signature string }
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&out))
	_, err = eth.ParseAddress(out.Address)
	require.NoError(c.t, err)
	require.Equal(c.t, hexAddress(out.Address).Hex(), out.Address, "EIP-55 checksummed")
	sig, err := hex.DecodeString(strings.TrimPrefix(out.Signature, "0x"))
	require.NoError(c.t, err)
	return hexAddress(out.Address), sig
}

// getOrchestrator dials target over TLS (skip verify) and calls GetOrchestrator.
func getOrchestrator(ctx context.Context, t *testing.T, target string, req *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true} //nolint:gosec // self-signed, as go-livepeer
	defer tr.CloseIdleConnections()
	return lpnet.NewOrchestratorClient(&http.Client{Transport: tr}, "https://"+target, "").GetOrchestrator(ctx, req)
}

func readAll(t *testing.T, r io.Reader) []byte {
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

// payReq is the JSON a gateway sends to /generate-live-payment.
type payReq struct {
	Orchestrator []byte          `json:"orchestrator"`
	State        json.RawMessage `json:"state,omitempty"`
	ManifestID   string          `json:"ManifestID,omitempty"`
	Type         string          `json:"type"`
	InPixels     int64           `json:"inPixels,omitempty"`
}

type payResp struct {
	Payment  string          `json:"payment"`
	SegCreds string          `json:"segCreds"`
	State    json.RawMessage `json:"state"`
}

// generatePayment posts to the signer; it returns the status, the decoded answer
// on 200 and the raw body otherwise.
func (c *rawClient) generatePayment(signerURL string, info *lpnet.OrchestratorInfo, state json.RawMessage, manifestID, typ string) (int, payResp, *http.Response, []byte) {
	ob, err := proto.Marshal(info)
	require.NoError(c.t, err)
	body, err := json.Marshal(payReq{Orchestrator: ob, State: state, ManifestID: manifestID, Type: typ})
	require.NoError(c.t, err)
	resp, err := c.http.Post(signerURL+"/generate-live-payment", "application/json", bytes.NewReader(body))
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw := readAll(c.t, resp.Body)
	var out payResp
	if resp.StatusCode == http.StatusOK {
		require.NoError(c.t, json.Unmarshal(raw, &out))
	} else {
		require.Equal(c.t, "application/json", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, out, resp, raw
}

// postPayment sends POST {orch}/payment with the two headers; on 200 it decodes PaymentResult.
func (c *rawClient) postPayment(orchURL, payment, seg string) (int, *lpnet.PaymentResult, string) {
	req, err := http.NewRequest(http.MethodPost, orchURL+"/payment", nil)
	require.NoError(c.t, err)
	req.Header.Set("Livepeer-Payment", payment)
	req.Header.Set("Livepeer-Segment", seg)
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw := readAll(c.t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, string(raw)
	}
	var res lpnet.PaymentResult
	require.NoError(c.t, proto.Unmarshal(raw, &res))
	return resp.StatusCode, &res, ""
}
