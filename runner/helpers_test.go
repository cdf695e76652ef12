package runner_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

const secret = "bootstrap-secret"

// checkNoLeak fails the test if goroutines started during it still run at cleanup.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var now int
		for range 200 {
			if now = runtime.NumGoroutine(); now <= before {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		buf := make([]byte, 1<<16)
		t.Errorf("goroutine leak: %d before, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
	})
}

// env is an in-process network with live runners and an application server
// whose handler a test sets (through the Runner's Handler).
type env struct {
	t      *testing.T
	n      *livepeertest.Network
	hc     *http.Client
	app    *httptest.Server
	appH   atomic.Value // http.Handler
	partit atomic.Bool  // fail the runner's requests (a network partition)
}

func newEnv(t *testing.T, orchs int, offchain bool, cfg livepeertest.RunnersConfig) *env {
	t.Helper()
	checkNoLeak(t)
	e := &env{t: t}
	e.appH.Store(http.NotFoundHandler())
	e.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.appH.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(e.app.Close)
	if cfg.Secret == "" {
		cfg.Secret = secret
	}
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: orchs, Offchain: offchain, Runners: &cfg})
	require.NoError(t, err)
	t.Cleanup(n.Close)
	e.n = n
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	t.Cleanup(tr.CloseIdleConnections)
	e.hc = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	return e
}

// runnerConfig registers the app with every orchestrator of the network.
func (e *env) runnerConfig() runner.Config {
	cfg := runner.Config{
		Registration: runner.Registration{URL: e.app.URL, App: "test/go-runner", Capacity: 2,
			Price: &runner.Price{USD: "3.6", Unit: runner.PerHour}},
		HTTPClient: &http.Client{Transport: partitionable{e}},
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
	}
	for _, o := range e.n.Orchestrators() {
		cfg.Orchestrators = append(cfg.Orchestrators, runner.Orchestrator{URL: o.URL(), Secret: secret})
	}
	return cfg
}

// partitionable is the runner's transport: it fails every request while
// the env is partitioned.
type partitionable struct{ e *env }

var errPartition = errors.New("test: network partition")

func (p partitionable) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.e.partit.Load() {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errPartition
	}
	return p.e.hc.Transport.RoundTrip(r)
}

// start creates and starts a runner serving h, closed at cleanup.
func (e *env) start(cfg runner.Config, h http.Handler) *runner.Runner {
	e.t.Helper()
	r, err := runner.New(cfg)
	require.NoError(e.t, err)
	e.appH.Store(r.Handler(h))
	require.NoError(e.t, r.Start(e.t.Context()))
	e.t.Cleanup(func() { _ = r.Close() })
	return r
}

func (e *env) do(method, url string, body any, hdr map[string]string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(e.t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.hc.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, b
}

// discovery returns orchestrator i's runners.
func (e *env) discovery(i int) []livepeertest.DiscoveryRunner {
	e.t.Helper()
	return e.n.Runners()[i].Discovery()
}

type sessionResp struct {
	SessionID  string `json:"session_id"`
	AppURL     string `json:"app_url"`
	ControlURL string `json:"control_url"`
}

// reserve reserves a session off-chain at a runner's discovery URL.
func (e *env) reserve(url string) sessionResp {
	e.t.Helper()
	status, body := e.do(http.MethodPost, url, nil, nil)
	require.Equal(e.t, http.StatusOK, status, "%s", body)
	var s sessionResp
	require.NoError(e.t, json.Unmarshal(body, &s))
	return s
}

func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 15*time.Second, 20*time.Millisecond, msg)
}
