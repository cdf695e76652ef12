package livepeertest

import (
	"context"
	"crypto/tls"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

func TestParseStaticRunners(t *testing.T) {
	doc, err := ParseStaticRunners([]byte(`{"runners":[{"label":"scope-l40s","routing":"label","runner_url":"http://scope-runner:8080",
		"health_url":"/health","app":"live-video-to-video/scope","version":"1.4.0","mode":"persistent","capacity":2,"proxy":true,
		"gpu":{"id":"0","name":"NVIDIA L40S","vram_mb":46068},"price_info":{"price":3.50,"currency":"usd","unit":"hour"}},
		{"label":"b","runner_url":"http://b:1/","health_url":"http://b:1/up","app":"x/y","gpu":1,"price_info":{"price":"1"}}]}`))
	require.NoError(t, err)
	require.Len(t, doc.Runners, 2)
	require.Equal(t, "http://scope-runner:8080/health", doc.Runners[0].HealthURL)
	require.Equal(t, 200, doc.Runners[0].HealthyStatusCode)
	require.Equal(t, "label", doc.Runners[0].Routing)
	require.Equal(t, "runner-id", doc.Runners[1].Routing)
	require.Equal(t, &RunnerGPU{ID: "1"}, doc.Runners[1].GPU)
	require.Equal(t, "http://b:1/up", doc.Runners[1].HealthURL)
	_, err = ParseStaticRunners([]byte(`{"runners":[{"label":"a","routing":"nope"}]}`))
	require.ErrorContains(t, err, "runners[0]: routing must be")
}

func TestRunnerStaticValidationIsAtomic(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{})
	ok := StaticRunner{Label: "ok", RunnerURL: f.appSrv.URL, HealthURL: "/health", App: "a/b"}
	for _, c := range []struct {
		bad StaticRunner
		msg string
	}{
		{StaticRunner{Label: "", RunnerURL: f.appSrv.URL, HealthURL: "/health", App: "a/b"}, "runners[1]: label is required"},
		{StaticRunner{Label: "x", RunnerURL: f.appSrv.URL, HealthURL: "/health", App: "a/b", HealthyStatusCode: 99}, "runners[1]: healthy_status_code"},
		{StaticRunner{Label: "x", RunnerURL: f.appSrv.URL, HealthURL: "", App: "a/b"}, "runners[1]: health_url is required"},
		{StaticRunner{Label: "ok", RunnerURL: f.appSrv.URL, HealthURL: "/health", App: "a/b"}, `runners[1]: duplicate label "ok"`},
		{StaticRunner{Label: "a/b", Routing: "label", RunnerURL: f.appSrv.URL, HealthURL: "/health", App: "a/b"}, "runners[1]: label cannot contain /"},
		{StaticRunner{Label: "x", RunnerURL: f.appSrv.URL, HealthURL: "/health", App: "a/b", Metadata: "\xff"}, "runners[1]: metadata must be valid UTF-8"},
	} {
		_, err := f.reg.RegisterStatic(StaticRunners{Runners: []StaticRunner{ok, c.bad}})
		require.ErrorContains(t, err, c.msg)
		require.Empty(t, f.reg.RunnerIDs(), "nothing of a refused batch is registered")
	}
}

func TestRunnerStaticHealthAndUpsert(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	f := newRunnerFixture(t, true, RunnersConfig{HealthInterval: 30 * time.Millisecond})
	mux := http.NewServeMux()
	mux.Handle("/", f.app)
	mux.HandleFunc("GET /custom-health", func(w http.ResponseWriter, _ *http.Request) {
		if healthy.Load() {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	f.appSrv.Config.Handler = mux
	entry := StaticRunner{Label: "scope-l40s", Routing: "label", RunnerURL: f.appSrv.URL, HealthURL: "/custom-health",
		HealthyStatusCode: http.StatusAccepted, App: "live-video-to-video/scope", Capacity: 2}
	regs, err := f.reg.RegisterStatic(StaticRunners{Runners: []StaticRunner{entry}})
	require.NoError(t, err)
	require.Len(t, regs, 1)
	require.True(t, regs[0].Healthy)
	require.Equal(t, f.appSrv.URL+"/custom-health", regs[0].HealthURL)
	d := f.discovery()
	require.Len(t, d, 1)
	require.Equal(t, f.o.URL()+"/apps/scope-l40s/session", d[0].URL, "label routing")

	status, _, body := f.do(http.MethodPost, d[0].URL, nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)
	require.Equal(t, "scope-l40s", f.echo(sess.AppURL+"/echo/", nil).Livepeer[RunnerRouteHeader])

	// Upsert with the same label: same id, session kept, new fields.
	entry.Version = "2.0"
	regs2, err := f.reg.RegisterStatic(StaticRunners{Runners: []StaticRunner{entry}})
	require.NoError(t, err)
	require.Equal(t, regs[0].RunnerID, regs2[0].RunnerID)
	require.Len(t, f.reg.Sessions(), 1)
	require.Equal(t, "2.0", f.discovery()[0].Version)

	// Unhealthy (the exact status counts): hidden, sessions released.
	healthy.Store(false)
	eventually(t, func() bool { return len(f.discovery()) == 0 }, "unhealthy runner hidden")
	require.Empty(t, f.reg.Sessions())
	status, _, _ = f.do(http.MethodPost, d[0].URL, nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	healthy.Store(true)
	eventually(t, func() bool { return len(f.discovery()) == 1 }, "healthy again")

	// Static runners do not expire.
	require.False(t, f.reg.ExpireRunner(regs[0].RunnerID))
}

func TestRunnerSignerDiscovery(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{}, echoRunner(), singleShotRunner())
	for _, u := range []string{f.n.Signer().URL() + "/discover-orchestrators", f.n.DiscoveryURL()} {
		status, _, body := f.do(http.MethodGet, u, nil, nil)
		require.Equal(t, http.StatusOK, status)
		entries := decode[[]discoveryEntry](t, body)
		require.Len(t, entries, 1)
		e := entries[0]
		require.Len(t, e.Runners, 2)
		require.Contains(t, e.Capabilities, "test/echo", "a runner's app joins the capability list")
		require.Contains(t, e.Capabilities, "test/oneshot")
		require.Contains(t, e.Capabilities, "live-video-to-video/streamdiffusion")
		require.True(t, slices.IsSorted(e.Capabilities))
		for _, r := range e.Runners {
			require.NotNil(t, r.PriceInfo)
			require.Equal(t, "wei", r.PriceInfo.Currency)
		}
		// The caps filter matches a runner-only capability.
		status, _, body = f.do(http.MethodGet, u+"?caps=test/echo", nil, nil)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, decode[[]discoveryEntry](t, body), 1)
	}
}

func TestRunnerCloseEndsEverything(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{Secret: testSecret}, echoRunner())
	_, reg, _ := f.heartbeat(testSecret, f.dynamicBody(nil))
	events := o2rEvents(t, reg.O2R.URL)
	status, _, body := f.do(http.MethodPost, f.o.URL()+"/apps/"+reg.RunnerID+"/session", nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)
	require.Equal(t, "reserved", nextEvent(t, events)["event"])

	// An open WebSocket and an open SSE stream through the proxy.
	wsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer wsClient.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(sess.AppURL, "https")+"/ws", &websocket.DialOptions{HTTPClient: wsClient})
	require.NoError(t, err)
	defer c.CloseNow()
	_, _, err = c.Read(ctx)
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sess.AppURL+"/ticks?count=0", nil)
	resp, err := f.c.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	f.n.Close() // must return: it ends the WebSocket and the stream
	_, _, err = c.Read(ctx)
	require.Error(t, err)
	for range events {
	}
	eventually(t, func() bool { return f.app.WS.Open() == 0 }, "runner side of the WebSocket closed")
	// checkNoLeak (from the fixture) checks that no goroutine is left.
}
