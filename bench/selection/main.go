// Command selection measures what choosing an orchestrator costs a
// Gateway's calls, the old path against the orchestrator pool, in one run
// on one in-process network (livepeertest: on-chain orchestrators with
// signature checks, a remote signer, BYOC text-reversal workers priced per
// second, a passthrough live-video-to-video pipeline).
//
// The old path is the same Gateway code with Config.Pool.Disabled: every
// call lists the orchestrators and asks each one GetOrchestrator, waiting
// for the slowest (up to the per-orchestrator timeout), as every call did
// before the pool. Each (scenario, path) gets a fresh Gateway.
//
// Scenarios, each over n orchestrators (default 20): all healthy; 2
// black-holed (they accept TCP and never answer); 2 answering everything
// after a delay (default 1 s). For each it prints, old path and pool, p50
// and p99 over:
//
//   - calls sequential Gateway.Run text-reversal calls (default 50), the
//     first one (cold Gateway) included;
//   - lives Gateway.Live sessions (default 10), timed from the call to the
//     first byte of output (one segment published until it comes back).
//
// Then the cold start: the first Gateway.Select on a new Gateway (pool),
// next to the fastest GetOrchestrator answer it got, per scenario.
//
// Goals (issue 11): with 2 of 20 black-holed or slow, the pool's p50 per
// call within 2× its all-healthy p50; the first Select on a cold Gateway
// within the fastest healthy answer + 100 ms.
//
//	go run ./bench/selection [-n 20] [-calls 50] [-lives 10] [-slow 1s] [-timeout 3s]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func main() {
	n := flag.Int("n", 20, "orchestrators")
	calls := flag.Int("calls", 50, "sequential Run calls per (scenario, path)")
	lives := flag.Int("lives", 10, "sequential Live sessions per (scenario, path)")
	colds := flag.Int("colds", 5, "cold Gateways per scenario for the cold-start figure")
	slow := flag.Duration("slow", time.Second, "delay of the slow orchestrators")
	timeout := flag.Duration("timeout", livepeer.DefaultOrchestratorTimeout, "per-orchestrator GetOrchestrator timeout")
	flag.Parse()
	if err := run(*n, *calls, *lives, *colds, *slow, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/selection:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name  string
	apply func(o []*livepeertest.Orchestrator, on bool)
}

type path struct {
	name string
	pool discovery.PoolOptions
}

type figures struct {
	runs, lives []time.Duration
}

func run(n, calls, lives, colds int, slow, timeout time.Duration) error {
	if n < 3 || calls < 1 || lives < 0 || colds < 1 {
		return errors.New("need -n >= 3, -calls >= 1, -lives >= 0, -colds >= 1")
	}
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: n,
		Workers: map[string]http.Handler{"text-reversal": worker.TextReversal()},
		Live:    livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
	if err != nil {
		return err
	}
	defer net.Close()
	// The faulty ones are spread over the list (the source's order).
	faulty := []int{n / 3, 2 * n / 3}
	scenarios := []scenario{
		{fmt.Sprintf("all %d healthy", n), func([]*livepeertest.Orchestrator, bool) {}},
		{fmt.Sprintf("2 of %d black-holed", n), func(o []*livepeertest.Orchestrator, on bool) {
			for _, i := range faulty {
				o[i].SetBlackhole(on)
			}
		}},
		{fmt.Sprintf("2 of %d answering after %s", n, slow), func(o []*livepeertest.Orchestrator, on bool) {
			for _, i := range faulty {
				if on {
					o[i].SetLatency(slow)
				} else {
					o[i].SetLatency(0)
				}
			}
		}},
	}
	paths := []path{{"old path (Pool.Disabled)", discovery.PoolOptions{Disabled: true}}, {"pool", discovery.PoolOptions{}}}
	cfg := func(p path) livepeer.Config {
		return livepeer.Config{SignerURL: net.SignerURL(), Orchestrators: net.OrchestratorAddrs(), OrchestratorTimeout: timeout, Pool: p.pool}
	}
	ctx := context.Background()
	results := map[[2]int]figures{}
	coldSel := make([][]time.Duration, len(scenarios))
	coldFast := make([][]time.Duration, len(scenarios))
	for si, sc := range scenarios {
		sc.apply(net.Orchestrators(), true)
		for pi, p := range paths {
			fmt.Fprintf(os.Stderr, "%s, %s...\n", sc.name, p.name)
			f, err := measure(ctx, cfg(p), calls, lives)
			if err != nil {
				sc.apply(net.Orchestrators(), false)
				return fmt.Errorf("%s, %s: %w", sc.name, p.name, err)
			}
			results[[2]int{si, pi}] = f
		}
		for range colds {
			sel, fast, err := coldSelect(ctx, cfg(paths[1]))
			if err != nil {
				sc.apply(net.Orchestrators(), false)
				return fmt.Errorf("%s, cold start: %w", sc.name, err)
			}
			coldSel[si], coldFast[si] = append(coldSel[si], sel), append(coldFast[si], fast)
		}
		sc.apply(net.Orchestrators(), false)
	}

	fmt.Printf("\n%d orchestrators, per-orchestrator timeout %s; %d sequential Run text-reversal calls, %d Live sessions per row\n\n", n, timeout, calls, lives)
	fmt.Printf("| %-36s | %-28s | %10s | %10s | %11s | %11s |\n", "scenario", "measure", "old p50", "old p99", "pool p50", "pool p99")
	fmt.Printf("|%s|%s|%s|%s|%s|%s|\n", dashes(38), dashes(30), dashes(12), dashes(12), dashes(13), dashes(13))
	for si, sc := range scenarios {
		old, pool := results[[2]int{si, 0}], results[[2]int{si, 1}]
		row(sc.name, "Run, per call", old.runs, pool.runs)
		if lives > 0 {
			row(sc.name, "Live, call to first output byte", old.lives, pool.lives)
		}
	}
	fmt.Printf("\nold/pool ratio of p50 (higher: the pool is faster):\n")
	for si, sc := range scenarios {
		old, pool := results[[2]int{si, 0}], results[[2]int{si, 1}]
		fmt.Printf("  %-36s Run %6.1f×", sc.name, ratio(pct(old.runs, 50), pct(pool.runs, 50)))
		if lives > 0 {
			fmt.Printf("   Live %6.1f×", ratio(pct(old.lives, 50), pct(pool.lives, 50)))
		}
		fmt.Println()
	}
	healthy := pct(results[[2]int{0, 1}].runs, 50)
	fmt.Printf("\ngoal 1: pool p50 per Run call within 2× the all-healthy p50 (%s):\n", healthy)
	for si := 1; si < len(scenarios); si++ {
		p50 := pct(results[[2]int{si, 1}].runs, 50)
		fmt.Printf("  %-36s %10s = %4.2f× %s\n", scenarios[si].name, p50, ratio(p50, healthy), verdict(ratio(p50, healthy) <= 2))
	}
	fmt.Printf("\ngoal 2: first Select on a cold Gateway (pool) within the fastest healthy answer + 100 ms (medians of %d):\n", colds)
	for si, sc := range scenarios {
		sel, fast := pct(coldSel[si], 50), pct(coldFast[si], 50)
		fmt.Printf("  %-36s select %10s, fastest answer %10s, over by %10s %s\n", sc.name, sel, fast, (sel - fast).Round(time.Microsecond),
			verdict(sel <= fast+100*time.Millisecond))
	}
	return nil
}

// measure runs calls Run and lives Live on a fresh Gateway.
func measure(ctx context.Context, cfg livepeer.Config, calls, lives int) (figures, error) {
	var f figures
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return f, err
	}
	defer gw.Close()
	for i := range calls {
		start := time.Now()
		res, err := gw.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
		if err != nil {
			return f, fmt.Errorf("Run %d: %w", i, err)
		}
		if !bytes.Contains(res.Body, []byte(`"cba"`)) {
			return f, fmt.Errorf("Run %d: unexpected answer %s", i, res.Body)
		}
		f.runs = append(f.runs, time.Since(start))
	}
	for i := range lives {
		d, err := firstOutputByte(ctx, gw)
		if err != nil {
			return f, fmt.Errorf("Live %d: %w", i, err)
		}
		f.lives = append(f.lives, d)
	}
	return f, nil
}

// firstOutputByte starts a session, publishes a segment every 20 ms until
// the first byte of output arrives, and returns the time from the call.
func firstOutputByte(ctx context.Context, gw *livepeer.Gateway) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	got := make(chan error, 1)
	go func() {
		for seg, err := range sess.Subscribe(ctx) {
			if err != nil {
				got <- err
				return
			}
			_, err := io.ReadFull(seg, make([]byte, 1))
			got <- err
			return
		}
		got <- errors.New("output ended")
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := sess.Publish(ctx, bytes.NewReader(segment())); err != nil {
			return 0, fmt.Errorf("publish: %w", err)
		}
		select {
		case err := <-got:
			if err != nil {
				return 0, err
			}
			return time.Since(start), nil
		case <-tick.C:
		}
	}
}

// segment is 16 MPEG-TS null packets (passed through unchanged).
func segment() []byte {
	b := make([]byte, 16*188)
	for i := 0; i < len(b); i += 188 {
		b[i], b[i+1], b[i+2], b[i+3] = 0x47, 0x1F, 0xFF, 0x10
	}
	return b
}

// coldSelect times the first Select on a new Gateway and returns the
// fastest GetOrchestrator answer the pool got.
func coldSelect(ctx context.Context, cfg livepeer.Config) (sel, fastest time.Duration, err error) {
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return 0, 0, err
	}
	defer gw.Close()
	start := time.Now()
	if _, err := gw.Select(ctx, "byoc/text-reversal"); err != nil {
		return 0, 0, err
	}
	sel = time.Since(start)
	want := discovery.Capability{ID: discovery.CapBYOC, Model: "text-reversal"}
	for _, e := range gw.Pool().Entries(&want) {
		if e.Info != nil && (fastest == 0 || e.Info.Latency < fastest) {
			fastest = e.Info.Latency
		}
	}
	return sel, fastest, nil
}

func row(sc, what string, old, pool []time.Duration) {
	fmt.Printf("| %-36s | %-28s | %10s | %10s | %11s | %11s |\n", sc, what, pct(old, 50), pct(old, 99), pct(pool, 50), pct(pool, 99))
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(10 * time.Microsecond)
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(NOT met)"
}

func dashes(n int) string { return string(bytes.Repeat([]byte("-"), n)) }
