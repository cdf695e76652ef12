package liverunner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// checkNoLeak fails the test when goroutines started during it outlive it.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var now int
		for range 250 {
			if now = runtime.NumGoroutine(); now <= before {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		buf := make([]byte, 1<<16)
		t.Errorf("goroutine leak: %d before, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
	})
}

// fixture is an in-process network with live runners serving the toy
// RunnerApp, a Client paying through the network's signer, and the
// orchestrators' addresses.
type fixture struct {
	t      *testing.T
	n      *livepeertest.Network
	app    *worker.RunnerApp
	appSrv *httptest.Server
	sc     *signer.Client
	c      *liverunner.Client
	hc     *http.Client
}

type fixtureConfig struct {
	offchain      bool
	orchestrators int
	runners       livepeertest.RunnersConfig
	static        []livepeertest.StaticRunner // RunnerURL and HealthURL default to the app's
	balance       int64                       // signer balance in wei (0: unlimited)
}

func newFixture(t *testing.T, cfg fixtureConfig) *fixture {
	t.Helper()
	checkNoLeak(t)
	f := &fixture{t: t, app: worker.NewRunnerApp()}
	f.appSrv = httptest.NewServer(f.app)
	t.Cleanup(f.appSrv.Close)
	for i := range cfg.static {
		if cfg.static[i].RunnerURL == "" {
			cfg.static[i].RunnerURL = f.appSrv.URL
		}
		if cfg.static[i].HealthURL == "" {
			cfg.static[i].HealthURL = "/health"
		}
	}
	if len(cfg.static) > 0 {
		cfg.runners.Static = &livepeertest.StaticRunners{Runners: cfg.static}
	}
	if cfg.runners.PaymentInterval == 0 {
		cfg.runners.PaymentInterval = 200 * time.Millisecond
	}
	if cfg.orchestrators == 0 {
		cfg.orchestrators = 1
	}
	nc := livepeertest.NetworkConfig{Orchestrators: cfg.orchestrators, Offchain: cfg.offchain, Runners: &cfg.runners}
	if cfg.balance > 0 {
		nc.SignerBalance = bigInt(cfg.balance)
	}
	n, err := livepeertest.NewNetwork(nc)
	require.NoError(t, err)
	t.Cleanup(n.Close)
	f.n = n
	f.sc = signer.Offchain()
	if !cfg.offchain {
		f.sc, err = signer.New(signer.Config{URLs: []string{n.SignerURL()}})
		require.NoError(t, err)
		t.Cleanup(f.sc.CloseIdleConnections)
	}
	f.c, err = liverunner.New(liverunner.Config{Signer: f.sc, RequestTimeout: 10 * time.Second})
	require.NoError(t, err)
	f.hc = &http.Client{Transport: insecureTransport()}
	t.Cleanup(f.hc.CloseIdleConnections)
	return f
}

// source lists the runners of every orchestrator.
func (f *fixture) source() liverunner.Source {
	var addrs []string
	for _, o := range f.n.Orchestrators() {
		addrs = append(addrs, o.URL())
	}
	return liverunner.FromOrchestrators(addrs, f.hc, 5*time.Second)
}

// selectApp discovers the runners of app.
func (f *fixture) selectApp(app string) *liverunner.Selector {
	f.t.Helper()
	sel, err := liverunner.Select(context.Background(), f.source(), liverunner.Filter{App: app})
	require.NoError(f.t, err)
	return sel
}

// sessions returns every live session on the network.
func (f *fixture) sessions() []livepeertest.RunnerSession {
	var out []livepeertest.RunnerSession
	for _, r := range f.n.Runners() {
		out = append(out, r.Sessions()...)
	}
	return out
}

func (f *fixture) eventually(cond func() bool, msg string) {
	f.t.Helper()
	require.Eventually(f.t, cond, 15*time.Second, 10*time.Millisecond, msg)
}

// runner is a static runner of app on the fixture's app server.
func runner(label, app string, capacity int, price, unit string) livepeertest.StaticRunner {
	r := livepeertest.StaticRunner{Label: label, App: app, Capacity: capacity, Version: "1.0",
		GPU: &livepeertest.RunnerGPU{ID: "0", Name: "NVIDIA L40S", VRAMMB: 46068}}
	if price != "" {
		r.PriceInfo = livepeertest.RunnerPrice{Price: jsonNumber(price), Unit: unit}
	} else {
		r.PriceInfo = livepeertest.RunnerPrice{Price: "1", Unit: "hour"}
	}
	if strings.HasPrefix(label, "ss-") {
		r.Mode = "single-shot"
	}
	return r
}
