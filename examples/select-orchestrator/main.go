// Command select-orchestrator picks an orchestrator for a capability the
// way the SDK's verbs do: it discovers orchestrators, asks them all for
// their info at once (each bounded by -orchestrator-timeout), drops those that do not
// serve the capability or cost more than -max-price, ranks the rest
// (cheapest, then fastest) and prints the selection, the other candidates
// in order and every rejection with its reason.
//
//	go run ./examples/select-orchestrator                       # in-process network
//	go run ./examples/select-orchestrator -capability byoc/text-reversal
//	go run ./examples/select-orchestrator -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion
//
// With no address and no -token, -signer or -discovery it starts the SDK's
// in-process Livepeer network (livepeertest) with four orchestrators, one
// black-holed (it accepts connections and never answers) and one refusing
// every GetOrchestrator, so the rejections are visible. It exits non-zero
// with a one-line error when nothing can be selected.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "select-orchestrator:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("select-orchestrator", "[orchestrator-address ...]",
		"Selects an orchestrator for -capability the way the SDK's verbs do and\nprints the ranking and every rejection with its reason. The in-process\nnetwork has 4 orchestrators, one black-holed and one failing.", stderr)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "capability: pipeline/model, byoc/<name> or a bare pipeline")
	orchTimeout := fs.Duration("orchestrator-timeout", time.Second, "per-orchestrator GetOrchestrator timeout")
	maxPrice := fs.String("max-price", "", "price ceiling in wei per unit (e.g. 3/2); empty: none")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	cfg := livepeer.Config{OrchestratorTimeout: *orchTimeout}
	if *maxPrice != "" {
		r, ok := new(big.Rat).SetString(*maxPrice)
		if !ok {
			return fmt.Errorf("-max-price %q is not a number", *maxPrice)
		}
		cfg.MaxPrice = r
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(cfg, exampleutil.InProcess{
		Network: livepeertest.NetworkConfig{Orchestrators: 4},
		Setup: func(n *livepeertest.Network) (func(), error) {
			orchs := n.Orchestrators()
			orchs[0].SetBlackhole(true)
			orchs[1].FailGetOrchestrator(1 << 20)
			fmt.Fprintf(stderr, "# in-process network: %s black-holed, %s failing GetOrchestrator\n", orchs[0].Addr(), orchs[1].Addr())
			return func() { orchs[0].SetBlackhole(false) }, nil
		},
	}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()
	gw := env.Gateway

	fmt.Fprintf(stderr, "asking every orchestrator at once (each for at most %v)…\n", *orchTimeout)
	start := time.Now()
	sel, err := gw.Select(ctx, *capability)
	took := time.Since(start).Round(time.Millisecond)
	var noe *livepeer.NoOrchestratorError
	if errors.As(err, &noe) {
		printRejections(stdout, noe.Rejections)
		return fmt.Errorf("%s: %s (%d rejected, %v)", *capability, noe.Reason, len(noe.Rejections), took)
	}
	if err != nil {
		return err
	}
	chosen, err := sel.Next(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "selected %s for %s in %v\n", line(chosen), *capability, took)
	// Select returned as soon as enough orchestrators answered (the
	// Gateway's pool keeps asking the others); Orchestrators waits for the
	// whole first round, so that every rejection shows.
	if _, err := gw.Orchestrators(ctx, *capability); err != nil && !errors.As(err, &noe) {
		return err
	}
	for i, in := range sel.Candidates()[1:] {
		fmt.Fprintf(stdout, "  next %d: %s\n", i+1, line(in))
	}
	printRejections(stdout, sel.Rejections())
	return nil
}

func line(in *discovery.Info) string {
	price := "unknown (off-chain)"
	if in.Requested != nil {
		if p, ok := in.PriceFor(*in.Requested); ok {
			price = p.String() + " per unit"
		}
	}
	return fmt.Sprintf("%s  transcoder=%s  price=%s  latency=%v", in.Addr, in.Transcoder, price, in.Latency.Round(time.Millisecond/10))
}

func printRejections(out io.Writer, rs []livepeer.Rejection) {
	for _, r := range rs {
		fmt.Fprintf(out, "  rejected %s: %v\n", r.Orchestrator, r.Err)
	}
}
