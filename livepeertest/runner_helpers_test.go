package livepeertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

// runnerFixture is one orchestrator with live runners, a toy runner app and
// a raw HTTP client: everything the runner tests drive by hand.
type runnerFixture struct {
	t      *testing.T
	n      *Network
	o      *Orchestrator
	reg    *RunnerRegistry
	c      *rawClient
	app    *worker.RunnerApp
	appSrv *httptest.Server
}

// newRunnerFixture starts the app, then a one-orchestrator network whose
// registry gets cfg plus, for each static entry, the app's URL and /health.
func newRunnerFixture(t *testing.T, offchain bool, cfg RunnersConfig, static ...StaticRunner) *runnerFixture {
	t.Helper()
	checkNoLeak(t)
	f := &runnerFixture{t: t, app: worker.NewRunnerApp(), c: newRawClient(t)}
	f.appSrv = httptest.NewServer(f.app)
	t.Cleanup(f.appSrv.Close)
	for i := range static {
		if static[i].RunnerURL == "" {
			static[i].RunnerURL = f.appSrv.URL
		}
		if static[i].HealthURL == "" {
			static[i].HealthURL = "/health"
		}
	}
	if len(static) > 0 {
		cfg.Static = &StaticRunners{Runners: static}
	}
	caps := append(DefaultCapabilities(), CapabilitySpec{Name: "live-video-to-video/scope", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: 2})
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1, Offchain: offchain, Runners: &cfg, Capabilities: caps,
		Live: LiveConfig{Pipelines: map[string]Pipeline{"scope": Passthrough()}}})
	require.NoError(t, err)
	t.Cleanup(n.Close)
	f.n, f.o, f.reg = n, n.Orchestrators()[0], n.Runners()[0]
	return f
}

// do sends one request and returns the status, headers and body.
func (f *runnerFixture) do(method, url string, body any, hdr map[string]string) (int, http.Header, []byte) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(f.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(f.t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.c.http.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header, readAll(f.t, resp.Body)
}

// decode unmarshals JSON into a fresh T.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "body %q", b)
	return v
}

// challengeInfo decodes a 402 challenge and its OrchestratorInfo.
func challengeOf(t *testing.T, b []byte) (runnerChallenge, *lpnet.OrchestratorInfo) {
	t.Helper()
	ch := decode[runnerChallenge](t, b)
	raw, err := base64.StdEncoding.DecodeString(ch.PaymentParams)
	require.NoError(t, err)
	var info lpnet.OrchestratorInfo
	require.NoError(t, proto.Unmarshal(raw, &info))
	return ch, &info
}

// pay asks the signer for a payment of type typ for info and manifest mid;
// it returns the two headers and the signer state for the next payment.
func (f *runnerFixture) pay(info *lpnet.OrchestratorInfo, mid, typ string, state json.RawMessage) (map[string]string, json.RawMessage) {
	f.t.Helper()
	status, out, _, raw := f.c.generatePayment(f.n.SignerURL(), info, state, mid, typ)
	require.Equal(f.t, http.StatusOK, status, "generate-live-payment: %s", raw)
	return map[string]string{lphttp.HeaderPayment: out.Payment, lphttp.HeaderSegment: out.SegCreds}, out.State
}

// payer is the header naming the signer's address.
func (f *runnerFixture) payer() map[string]string {
	return map[string]string{PayerAddressHeader: f.n.Signer().Address().Hex()}
}

// reservePaid runs the 402 → pay → retry dance on a persistent runner URL.
func (f *runnerFixture) reservePaid(sessionURL, typ string) (runnerSessionResponse, runnerChallenge, *lpnet.OrchestratorInfo, json.RawMessage) {
	f.t.Helper()
	status, _, body := f.do(http.MethodPost, sessionURL, nil, f.payer())
	require.Equal(f.t, http.StatusPaymentRequired, status, "%s", body)
	ch, info := challengeOf(f.t, body)
	hdr, state := f.pay(info, ch.ManifestID, typ, nil)
	status, _, body = f.do(http.MethodPost, sessionURL, nil, hdr)
	require.Equal(f.t, http.StatusOK, status, "%s", body)
	return decode[runnerSessionResponse](f.t, body), ch, info, state
}

// discovery returns GET /discovery's runners.
func (f *runnerFixture) discovery() []DiscoveryRunner {
	f.t.Helper()
	status, _, body := f.do(http.MethodGet, f.o.URL()+"/discovery", nil, nil)
	require.Equal(f.t, http.StatusOK, status)
	entries := decode[[]runnerDiscoveryEntry](f.t, body)
	require.Len(f.t, entries, 1)
	require.Equal(f.t, f.o.URL(), entries[0].Address)
	return entries[0].Runners
}

// echo GETs url and decodes the Echo answer.
func (f *runnerFixture) echo(url string, hdr map[string]string) worker.EchoResponse {
	f.t.Helper()
	status, _, body := f.do(http.MethodGet, url, nil, hdr)
	require.Equal(f.t, http.StatusOK, status, "%s", body)
	return decode[worker.EchoResponse](f.t, body)
}

// eventually polls cond every 20 ms for up to 10 s.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 20*time.Millisecond, msg)
}

func usd(price, unit string) RunnerPrice { return RunnerPrice{Price: json.Number(price), Unit: unit} }
