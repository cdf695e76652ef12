package liverunner_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// BenchmarkSessionProxy measures what a live-runner session costs a
// request: the same small GET to the toy echo app through the session's
// client (TLS and the orchestrator's reverse proxy; HTTP/2, connections
// reused) and straight to the app (plain HTTP/1.1 keep-alive), in the same
// run. It reports both p50 latencies and the p50 the proxy adds, the p50 of
// the orchestrator answering the same route without proxying (the client,
// TLS and HTTP/2 share of the cost), and the
// throughput of 8 concurrent callers each way with their ratio
// (direct/proxied: 1.0 means no cost).
func BenchmarkSessionProxy(b *testing.B) {
	app := httptest.NewServer(worker.NewRunnerApp())
	defer app.Close()
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Offchain: true, Runners: &livepeertest.RunnersConfig{
		Static: &livepeertest.StaticRunners{Runners: []livepeertest.StaticRunner{{Label: "echo", App: "b/echo", Capacity: 1,
			RunnerURL: app.URL, HealthURL: "/health", PriceInfo: livepeertest.RunnerPrice{Price: "1"}}}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	c, err := liverunner.New(liverunner.Config{Signer: signer.Offchain()})
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: insecureTransport()}
	defer hc.CloseIdleConnections()
	sel, err := liverunner.Select(context.Background(), liverunner.FromOrchestrators([]string{n.Orchestrators()[0].URL()}, hc, 0), liverunner.Filter{App: "b/echo"})
	if err != nil {
		b.Fatal(err)
	}
	s, err := c.Reserve(context.Background(), sel, liverunner.SessionConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	direct := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer direct.CloseIdleConnections()

	get := func(hc *http.Client, url string) time.Duration {
		start := time.Now()
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			b.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		return time.Since(start)
	}
	latencies := func(hc *http.Client, url string, k int) []time.Duration {
		out := make([]time.Duration, k)
		for i := range out {
			out[i] = get(hc, url)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	// rps sends k requests from 8 goroutines and returns requests per second.
	rps := func(hc *http.Client, url string, k int) float64 {
		const workers = 8
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := w; i < k; i += workers {
					get(hc, url)
				}
			})
		}
		wg.Wait()
		return float64(k) / time.Since(start).Seconds()
	}
	proxiedURL, directURL := s.URL("echo/x"), app.URL+"/echo/x"
	// The same orchestrator answering without proxying (404 "runner not
	// found" from the same route): the client's and the TLS share.
	orchURL := n.Orchestrators()[0].URL() + "/apps/none/session/x/app/echo/x"
	latencies(s.Client(), proxiedURL, 50) // warm up: connections, TLS
	latencies(direct, directURL, 50)
	b.ResetTimer()
	pl := latencies(s.Client(), proxiedURL, b.N)
	b.StopTimer()
	dl := latencies(direct, directURL, b.N)
	ol := latencies(s.Client(), orchURL, b.N)
	k := max(b.N, 200)
	prps, drps := rps(s.Client(), proxiedURL, k), rps(direct, directURL, k)
	p50 := func(d []time.Duration) float64 { return float64(d[len(d)/2].Microseconds()) }
	b.ReportMetric(p50(pl), "proxied-p50-µs")
	b.ReportMetric(p50(dl), "direct-p50-µs")
	b.ReportMetric(p50(pl)-p50(dl), "added-p50-µs")
	b.ReportMetric(p50(ol), "orchestrator-only-p50-µs")
	b.ReportMetric(prps, "proxied-req/s")
	b.ReportMetric(drps, "direct-req/s")
	b.ReportMetric(drps/prps, "direct/proxied")
}
