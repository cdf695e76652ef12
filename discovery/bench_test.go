package discovery

import (
	"context"
	"testing"
	"time"
)

// BenchmarkQuery100With10Blackholed measures the time from "query these
// addresses" to a ranked candidate list with 100 in-process orchestrators,
// 10 of which accept TCP and never answer. The goal is the per-orchestrator
// timeout plus at most 50 ms: ms/op is reported next to timeout_ms. The
// connections are set up by a first, unmeasured query (the Client keeps
// them), so this is the steady state of a long-lived Gateway; the cold
// first query is measured by bench/discovery.
func BenchmarkQuery100With10Blackholed(b *testing.B) {
	const timeout = 500 * time.Millisecond
	want := &Capability{CapLiveVideoToVideo, "m"}
	var addrs []string
	for i := 0; i < 90; i++ {
		addrs = append(addrs, staticOrch(b, lv2vInfo(int64(1+i%7), "m")).addr)
	}
	for i := 0; i < 10; i++ {
		addrs = append(addrs, blackhole(b))
	}
	c := newTestClient(b, ClientConfig{Timeout: timeout})
	ctx := context.Background()
	if _, _, err := c.Query(ctx, addrs, want); err != nil { // warm-up: connections
		b.Fatal(err)
	}
	b.ResetTimer()
	var worst time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		infos, rej, err := c.Query(ctx, addrs, want)
		if err != nil {
			b.Fatal(err)
		}
		ranked, _ := Rank(infos, want, nil)
		d := time.Since(start)
		worst = max(worst, d)
		if len(ranked) != 90 || len(rej) != 10 {
			b.Fatalf("got %d candidates and %d rejections (first: %v)", len(ranked), len(rej), rej[0].Err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
	b.ReportMetric(float64(timeout.Milliseconds()), "timeout_ms")
	b.ReportMetric(float64(worst.Milliseconds()), "worst_ms")
}
