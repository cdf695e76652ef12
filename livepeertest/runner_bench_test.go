package livepeertest

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

// BenchmarkRunnerProxy measures a request through the in-process
// orchestrator's live-runner proxy (TLS, HTTP/2 to the orchestrator, then
// the reverse proxy to the app) against the same request sent straight to
// the runner app in the same run, and reports both p50 latencies and
// their ratio (proxied/direct).
func BenchmarkRunnerProxy(b *testing.B) {
	app := httptest.NewServer(worker.NewRunnerApp())
	defer app.Close()
	r := echoRunner()
	r.RunnerURL, r.HealthURL = app.URL, "/health"
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1, Offchain: true, Runners: &RunnersConfig{Static: &StaticRunners{Runners: []StaticRunner{r}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	resp, err := hc.Post(n.Runners()[0].Discovery()[0].URL, "application/json", nil)
	if err != nil {
		b.Fatal(err)
	}
	var sess runnerSessionResponse
	err = json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("reserve: %d %v", resp.StatusCode, err)
	}
	measure := func(url string, k int) []time.Duration {
		out := make([]time.Duration, 0, k)
		for range k {
			start := time.Now()
			resp, err := hc.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("GET %s: %d", url, resp.StatusCode)
			}
			out = append(out, time.Since(start))
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	measure(sess.AppURL+"/echo/warm", 10)
	measure(app.URL+"/echo/warm", 10)
	b.ResetTimer()
	proxied := measure(sess.AppURL+"/echo/x", b.N)
	b.StopTimer()
	direct := measure(app.URL+"/echo/x", b.N)
	p50 := func(d []time.Duration) float64 { return float64(d[len(d)/2].Microseconds()) }
	b.ReportMetric(p50(proxied), "proxied-p50-µs")
	b.ReportMetric(p50(direct), "direct-p50-µs")
	b.ReportMetric(p50(proxied)/max(p50(direct), 1), "p50-ratio")
}
