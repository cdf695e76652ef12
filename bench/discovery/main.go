// Command discovery measures how long a Gateway takes to turn 100
// orchestrator addresses into a ranked candidate list when 10 of them are
// black-holed (they accept TCP and never answer), next to the
// per-orchestrator timeout. The goal is timeout + 50 ms.
//
// It starts an in-process network (livepeertest: on-chain orchestrators
// with signature checks and a remote signer), so the requests are signed
// and verified as on the real network. It reports the cold first query (new
// Gateway: 100 TLS connections to set up) and the warm ones (connections
// reused), each several times.
//
//	go run ./bench/discovery [-n 100] [-blackholed 10] [-timeout 500ms] [-rounds 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func main() {
	n := flag.Int("n", 100, "orchestrators")
	holes := flag.Int("blackholed", 10, "black-holed orchestrators among them")
	timeout := flag.Duration("timeout", 500*time.Millisecond, "per-orchestrator GetOrchestrator timeout")
	rounds := flag.Int("rounds", 5, "queries per measurement")
	capability := flag.String("capability", "live-video-to-video/streamdiffusion", "capability to select for")
	flag.Parse()
	if err := run(*n, *holes, *timeout, *rounds, *capability); err != nil {
		fmt.Fprintln(os.Stderr, "discovery bench:", err)
		os.Exit(1)
	}
}

func run(n, holes int, timeout time.Duration, rounds int, capability string) error {
	if holes > n || n <= 0 || rounds <= 0 {
		return fmt.Errorf("need 0 <= blackholed <= n, n > 0 and rounds > 0")
	}
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: n})
	if err != nil {
		return err
	}
	defer net.Close()
	for _, o := range net.Orchestrators()[n-holes:] {
		o.SetBlackhole(true)
		defer o.SetBlackhole(false)
	}
	cfg := livepeer.Config{SignerURL: net.SignerURL(), Orchestrators: net.OrchestratorAddrs(), OrchestratorTimeout: timeout}
	ctx := context.Background()

	measure := func(gw *livepeer.Gateway) (time.Duration, int, error) {
		start := time.Now()
		infos, err := gw.Orchestrators(ctx, capability)
		return time.Since(start), len(infos), err
	}
	fmt.Printf("%d orchestrators, %d black-holed, per-orchestrator timeout %v, goal %v\n", n, holes, timeout, timeout+50*time.Millisecond)

	var cold []time.Duration
	var coldCands []int
	for i := 0; i < rounds; i++ {
		gw, err := livepeer.NewGateway(cfg)
		if err != nil {
			return err
		}
		d, k, err := measure(gw)
		gw.Close()
		if err != nil {
			return err
		}
		cold, coldCands = append(cold, d), append(coldCands, k)
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()
	if _, _, err := measure(gw); err != nil {
		return err
	}
	var warm []time.Duration
	var warmCands []int
	for i := 0; i < rounds; i++ {
		d, k, err := measure(gw)
		if err != nil {
			return err
		}
		warm, warmCands = append(warm, d), append(warmCands, k)
	}
	report("cold (new Gateway)", cold, coldCands, n-holes, timeout)
	report("warm (reused conns)", warm, warmCands, n-holes, timeout)
	return nil
}

func report(name string, ds []time.Duration, cands []int, want int, timeout time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	fmt.Printf("%-20s min %6.1f ms  median %6.1f ms  max %6.1f ms  (timeout %v, +%.1f ms at median)  candidates %v of %d\n",
		name, ms(s[0]), ms(s[len(s)/2]), ms(s[len(s)-1]), timeout, ms(s[len(s)/2]-timeout), cands, want)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
