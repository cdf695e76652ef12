package livepeer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

func TestRunnerAppSpelling(t *testing.T) {
	for in, want := range map[string]string{
		"runner/acme/echo":       "acme/echo",
		"runner/llm/my-model":    "llm/my-model", // forced: a runner whose app looks like a pipeline
		"acme/echo":              "acme/echo",
		" acme/echo/v2 ":         "acme/echo/v2",
		"example/hello":          "example/hello",
		"live-video-to-video/x":  "",
		"llm/meta-llama":         "",
		"text-to-image/sd-turbo": "",
		"byoc/text-reversal":     "",
		"text-reversal":          "",
		"35/scope":               "",
		"acme/":                  "",
		"runner/":                "",
		"acme/a\nb":              "",
	} {
		app, ok := runnerApp(in)
		require.Equal(t, want != "", ok, in)
		require.Equal(t, want, app, in)
	}
}

// runnerEnv is an in-process network whose orchestrators serve live
// runners of one app server (echo, a token streamer, failures).
type runnerEnv struct {
	net    *livepeertest.Network
	app    *httptest.Server
	stream *worker.Streamer
	gw     *Gateway
}

func newRunnerEnv(t *testing.T, offchain bool, caps []livepeertest.CapabilitySpec, static ...livepeertest.StaticRunner) *runnerEnv {
	t.Helper()
	e := &runnerEnv{stream: &worker.Streamer{Interval: 5 * time.Millisecond}}
	mux := http.NewServeMux()
	mux.Handle("/echo/", worker.Echo())
	mux.Handle("/stream", e.stream)
	mux.Handle("/fail", worker.Fail(http.StatusTeapot, "no tea"))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {})
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)
	for i := range static {
		static[i].RunnerURL, static[i].HealthURL = e.app.URL, "/health"
	}
	cfg := livepeertest.RunnersConfig{PaymentInterval: 200 * time.Millisecond}
	if len(static) > 0 {
		cfg.Static = &livepeertest.StaticRunners{Runners: static}
	}
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 2, Offchain: offchain, Runners: &cfg, Capabilities: caps})
	require.NoError(t, err)
	t.Cleanup(n.Close)
	e.net = n
	e.gw, err = NewGateway(Config{Token: n.Token()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.gw.Close() })
	return e
}

func staticRunner(label, app, mode string) livepeertest.StaticRunner {
	return livepeertest.StaticRunner{Label: label, App: app, Mode: mode, Capacity: 2, Version: "1.0",
		GPU: &livepeertest.RunnerGPU{Name: "NVIDIA L40S", VRAMMB: 46068}, PriceInfo: livepeertest.RunnerPrice{Price: "3.6", Unit: "hour"}}
}

func (e *runnerEnv) sessions() int {
	n := 0
	for _, r := range e.net.Runners() {
		n += len(r.Sessions())
	}
	return n
}

// Run and Stream reach a runner app by its app name, single-shot or
// persistent, paid through the signer; an app's error is a RunnerAppError.
func TestRunAndStreamOnRunnerApps(t *testing.T) {
	checkNoLeak(t)
	e := newRunnerEnv(t, false, nil, staticRunner("ss", "acme/single", "single-shot"), staticRunner("p", "acme/persistent", ""))
	ctx := testCtx(t)
	for _, app := range []string{"acme/single", "runner/acme/persistent"} {
		res, err := e.gw.Run(ctx, app, map[string]string{"q": "hi"}, WithPath("echo/run"))
		require.NoError(t, err, app)
		var er worker.EchoResponse
		require.NoError(t, res.JSON(&er))
		require.Equal(t, "POST", er.Method)
		require.Equal(t, "/echo/run", er.Path)
		require.JSONEq(t, `{"q":"hi"}`, er.Body)
		require.Equal(t, "application/json", res.ContentType)
		require.NotEmpty(t, res.Orchestrator)

		st, err := e.gw.Stream(ctx, app, map[string]int{"count": 4}, WithPath("stream"))
		require.NoError(t, err, app)
		n := 0
		for ev, err := range st.Events(ctx) {
			require.NoError(t, err)
			if ev.Data != "[DONE]" {
				n++
			}
		}
		require.Equal(t, 4, n, app)

		_, err = e.gw.Run(ctx, app, nil, WithPath("fail"))
		var ae *RunnerAppError
		require.ErrorAs(t, err, &ae, app)
		require.ErrorIs(t, err, ErrJobFailed)
		require.Equal(t, http.StatusTeapot, ae.StatusCode)
		require.Equal(t, "no tea", ae.Message)
	}
	require.Eventually(t, func() bool { return e.sessions() == 0 }, 10*time.Second, 10*time.Millisecond, "every session stopped")

	_, err := e.gw.Run(ctx, "acme/none", nil)
	require.ErrorIs(t, err, ErrNoOrchestrator)
	_, err = e.gw.Run(ctx, "acme/single", nil, WithSigningKey(nil))
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = e.gw.Run(ctx, "text-reversal", nil, WithRunnerFilter(RunnerFilter{}))
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "WithRunnerFilter", ce.Field)
}

// Gateway.Reserve: a paid persistent session on the cheapest matching
// runner, found through the signer's discovery.
func TestGatewayReserve(t *testing.T) {
	checkNoLeak(t)
	e := newRunnerEnv(t, false, nil, staticRunner("p", "acme/echo", ""))
	ctx := testCtx(t)
	rs, err := e.gw.Runners(ctx, RunnerFilter{App: "acme/echo"})
	require.NoError(t, err)
	require.Len(t, rs, 2, "one per orchestrator")

	var warned []RunnerWarning
	s, err := e.gw.Reserve(ctx, "acme/echo", WithRunnerFilter(RunnerFilter{GPU: "l40s"}), WithPaymentInterval(50*time.Millisecond),
		WithRunnerWarnings(func(w RunnerWarning) { warned = append(warned, w) }))
	require.NoError(t, err)
	resp, err := s.Client().Get(s.URL("echo/x"))
	require.NoError(t, err)
	var er worker.EchoResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&er))
	resp.Body.Close()
	require.Equal(t, s.ID(), er.Livepeer["Livepeer-Session-Id"])
	require.Eventually(t, func() bool { return s.Payments() >= 2 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 1, e.sessions())
	require.NoError(t, s.Close())
	require.Equal(t, 0, e.sessions())
	require.Empty(t, warned, "read after Close: the payment goroutine has ended")

	_, err = e.gw.Reserve(ctx, "acme/echo", WithRunnerFilter(RunnerFilter{GPU: "h100"}))
	require.ErrorIs(t, err, ErrNoOrchestrator)
	var ne *NoOrchestratorError
	require.ErrorAs(t, err, &ne)
	require.Len(t, ne.Rejections, 2)
	require.ErrorIs(t, ne.Rejections[0].Err, liverunner.ErrFiltered)
	_, err = e.gw.Reserve(ctx, "acme/echo", WithTimeout(time.Second))
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = e.gw.Reserve(ctx, " ")
	require.ErrorIs(t, err, ErrInvalidConfig)

	require.NoError(t, e.gw.Close())
	_, err = e.gw.Reserve(context.Background(), "acme/echo")
	require.ErrorIs(t, err, ErrClosed)
}
