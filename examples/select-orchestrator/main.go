// Command select-orchestrator picks an orchestrator for a capability the
// way the SDK's verbs do: it discovers orchestrators, asks them all for
// their info at once (each bounded by -timeout), drops those that do not
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
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/signal"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "select-orchestrator:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("select-orchestrator", flag.ContinueOnError)
	fs.SetOutput(out)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "capability: pipeline/model, byoc/<name> or a bare pipeline")
	signerURL := fs.String("signer", "", "remote signer URL")
	token := fs.String("token", "", "gateway token")
	disc := fs.String("discovery", "", "discovery endpoint URL")
	timeout := fs.Duration("timeout", time.Second, "per-orchestrator GetOrchestrator timeout")
	maxPrice := fs.String("max-price", "", "price ceiling in wei per unit (e.g. 3/2); empty: none")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s [flags] [orchestrator-address ...]\n\n"+
			"Selects an orchestrator for -capability and prints the ranking and the rejections.\n"+
			"With no address and no -token, -signer or -discovery, it starts an in-process network\n"+
			"(livepeertest: 4 orchestrators, one black-holed, one failing) and selects from it.\n\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	cfg := livepeer.Config{Token: *token, SignerURL: *signerURL, DiscoveryURL: *disc, Orchestrators: fs.Args(), OrchestratorTimeout: *timeout}
	if *maxPrice != "" {
		r, ok := new(big.Rat).SetString(*maxPrice)
		if !ok {
			return fmt.Errorf("-max-price %q is not a number", *maxPrice)
		}
		cfg.MaxPrice = r
	}
	if *token == "" && *signerURL == "" && *disc == "" && fs.NArg() == 0 {
		net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 4})
		if err != nil {
			return err
		}
		defer net.Close()
		orchs := net.Orchestrators()
		orchs[0].SetBlackhole(true)
		defer orchs[0].SetBlackhole(false)
		orchs[1].FailGetOrchestrator(1 << 20)
		fmt.Fprintf(out, "# in-process network: %s black-holed, %s failing GetOrchestrator\n", orchs[0].Addr(), orchs[1].Addr())
		cfg.SignerURL, cfg.Orchestrators = net.SignerURL(), net.OrchestratorAddrs()
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	start := time.Now()
	sel, err := gw.Select(ctx, *capability)
	took := time.Since(start).Round(time.Millisecond)
	var noe *livepeer.NoOrchestratorError
	if errors.As(err, &noe) {
		printRejections(out, noe.Rejections)
		return fmt.Errorf("%s: %s (%d rejected, %v)", *capability, noe.Reason, len(noe.Rejections), took)
	}
	if err != nil {
		return err
	}
	chosen, err := sel.Next(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "selected %s for %s in %v\n", line(chosen), *capability, took)
	for i, in := range sel.Candidates()[1:] {
		fmt.Fprintf(out, "  next %d: %s\n", i+1, line(in))
	}
	printRejections(out, sel.Rejections())
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
