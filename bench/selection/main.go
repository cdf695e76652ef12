// Command selection measures what choosing an orchestrator costs a
// Gateway's calls, the old path against the orchestrator pool, in one run
// on one in-process network (livepeertest: on-chain orchestrators with
// signature checks, a remote signer, BYOC text-reversal workers priced per
// second, a passthrough live-video-to-video pipeline).
//
// The old path is the same Gateway code with Config.Pool.Disabled: every
// call lists the orchestrators and asks each one GetOrchestrator, waiting
// for the slowest (up to the per-orchestrator timeout), as every call did
// before the pool. Each scenario has a network of its own and each
// (scenario, path) a Gateway of its own, made at the start (its first call
// is cold); the calls of all six are interleaved one by one, so that every
// row sees the same machine load.
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
	apply func(o []*livepeertest.Orchestrator)
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
	// The faulty ones are spread over the list (the source's order).
	faulty := []int{n / 3, 2 * n / 3}
	scenarios := []scenario{
		{fmt.Sprintf("all %d healthy", n), func([]*livepeertest.Orchestrator) {}},
		{fmt.Sprintf("2 of %d black-holed", n), func(o []*livepeertest.Orchestrator) {
			for _, i := range faulty {
				o[i].SetBlackhole(true)
			}
		}},
		{fmt.Sprintf("2 of %d answering after %s", n, slow), func(o []*livepeertest.Orchestrator) {
			for _, i := range faulty {
				o[i].SetLatency(slow)
			}
		}},
	}
	paths := []path{{"old path (Pool.Disabled)", discovery.PoolOptions{Disabled: true}}, {"pool", discovery.PoolOptions{}}}

	// One network per scenario, all up at once, so that every row is
	// measured under the same machine load: the calls are interleaved.
	nets := make([]*livepeertest.Network, len(scenarios))
	for si, sc := range scenarios {
		net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: n,
			Workers: map[string]http.Handler{"text-reversal": worker.TextReversal()},
			Live:    livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
		if err != nil {
			return err
		}
		defer net.Close()
		sc.apply(net.Orchestrators())
		defer func() {
			for _, o := range net.Orchestrators() {
				o.SetBlackhole(false)
			}
		}()
		nets[si] = net
	}
	cfg := func(si int, p path) livepeer.Config {
		return livepeer.Config{SignerURL: nets[si].SignerURL(), Orchestrators: nets[si].OrchestratorAddrs(), OrchestratorTimeout: timeout, Pool: p.pool}
	}
	ctx := context.Background()
	gws := make([][]*livepeer.Gateway, len(scenarios))
	for si := range scenarios {
		for _, p := range paths {
			gw, err := livepeer.NewGateway(cfg(si, p))
			if err != nil {
				return err
			}
			defer gw.Close()
			gws[si] = append(gws[si], gw)
		}
	}
	results := make([][]figures, len(scenarios))
	for si := range results {
		results[si] = make([]figures, len(paths))
	}
	for i := range calls {
		if i%10 == 0 {
			fmt.Fprintf(os.Stderr, "Run %d of %d...\n", i+1, calls)
		}
		for si, sc := range scenarios {
			for pi, p := range paths {
				d, err := runOnce(ctx, gws[si][pi])
				if err != nil {
					return fmt.Errorf("%s, %s, Run %d: %w", sc.name, p.name, i, err)
				}
				results[si][pi].runs = append(results[si][pi].runs, d)
			}
		}
	}
	for i := range lives {
		fmt.Fprintf(os.Stderr, "Live %d of %d...\n", i+1, lives)
		for si, sc := range scenarios {
			for pi, p := range paths {
				d, err := firstOutputByte(ctx, gws[si][pi])
				if err != nil {
					return fmt.Errorf("%s, %s, Live %d: %w", sc.name, p.name, i, err)
				}
				results[si][pi].lives = append(results[si][pi].lives, d)
			}
		}
	}
	coldSel := make([][]time.Duration, len(scenarios))
	coldFast := make([][]time.Duration, len(scenarios))
	for range colds {
		for si, sc := range scenarios {
			sel, fast, err := coldSelect(ctx, cfg(si, paths[1]))
			if err != nil {
				return fmt.Errorf("%s, cold start: %w", sc.name, err)
			}
			coldSel[si], coldFast[si] = append(coldSel[si], sel), append(coldFast[si], fast)
		}
	}

	fmt.Printf("\n%d orchestrators, per-orchestrator timeout %s; %d sequential Run text-reversal calls and %d Live sessions per row, rows interleaved call by call\n\n", n, timeout, calls, lives)
	fmt.Printf("| %-36s | %-31s | %10s | %10s | %11s | %11s |\n", "scenario", "measure", "old p50", "old p99", "pool p50", "pool p99")
	fmt.Printf("|%s|%s|%s|%s|%s|%s|\n", dashes(38), dashes(33), dashes(12), dashes(12), dashes(13), dashes(13))
	for si, sc := range scenarios {
		old, pool := results[si][0], results[si][1]
		row(sc.name, "Run, per call", old.runs, pool.runs)
		if lives > 0 {
			row(sc.name, "Live, call to first output byte", old.lives, pool.lives)
		}
	}
	fmt.Printf("\nold/pool ratio of p50 (higher: the pool is faster):\n")
	for si, sc := range scenarios {
		old, pool := results[si][0], results[si][1]
		fmt.Printf("  %-36s Run %7.1f×", sc.name, ratio(pct(old.runs, 50), pct(pool.runs, 50)))
		if lives > 0 {
			fmt.Printf("   Live %6.1f×", ratio(pct(old.lives, 50), pct(pool.lives, 50)))
		}
		fmt.Println()
	}
	healthy := pct(results[0][1].runs, 50)
	fmt.Printf("\ngoal 1: pool p50 per Run call within 2× the all-healthy p50 (%s):\n", healthy)
	for si := 1; si < len(scenarios); si++ {
		p50 := pct(results[si][1].runs, 50)
		fmt.Printf("  %-36s %10s = %4.2f× %s\n", scenarios[si].name, p50, ratio(p50, healthy), verdict(ratio(p50, healthy) <= 2))
	}
	if lives > 0 {
		healthy := pct(results[0][1].lives, 50)
		fmt.Printf("  (Live first byte, same rule, all-healthy p50 %s:", healthy)
		for si := 1; si < len(scenarios); si++ {
			fmt.Printf(" %.2f×", ratio(pct(results[si][1].lives, 50), healthy))
		}
		fmt.Println(")")
	}
	fmt.Printf("\ngoal 2: first Select on a cold Gateway (pool) within the fastest healthy answer + 100 ms (medians of %d):\n", colds)
	for si, sc := range scenarios {
		sel, fast := pct(coldSel[si], 50), pct(coldFast[si], 50)
		fmt.Printf("  %-36s select %10s, fastest answer %10s, over by %10s %s\n", sc.name, sel, fast, (sel - fast).Round(time.Microsecond),
			verdict(sel <= fast+100*time.Millisecond))
	}
	return nil
}

// runOnce times one Run text-reversal call.
func runOnce(ctx context.Context, gw *livepeer.Gateway) (time.Duration, error) {
	start := time.Now()
	res, err := gw.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
	if err != nil {
		return 0, err
	}
	d := time.Since(start)
	if !bytes.Contains(res.Body, []byte(`"cba"`)) {
		return 0, fmt.Errorf("unexpected answer %s", res.Body)
	}
	return d, nil
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
	fmt.Printf("| %-36s | %-31s | %10s | %10s | %11s | %11s |\n", sc, what, pct(old, 50), pct(old, 99), pct(pool, 50), pct(pool, 99))
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
