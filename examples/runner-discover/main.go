// Command runner-discover lists the live runners the network offers: one
// line per runner with its orchestrator, app, mode, sessions in use of its
// capacity, GPU and price, cheapest first.
//
//	go run ./examples/runner-discover                          # in-process network
//	go run ./examples/runner-discover -app live-video-to-video/scope -token "$LIVEPEER_TOKEN"
//	go run ./examples/runner-discover https://orch.example.com:8935
//
// Runners come from the orchestrators given as arguments (each one's GET
// /discovery), else the -discovery endpoint, else the remote signer's
// discovery (which lists on-chain priced runners only). With none of them
// it starts the SDK's in-process Livepeer network (livepeertest) with toy
// runners on two orchestrators. It exits non-zero with a one-line error
// when no runner matches.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner-discover:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("runner-discover", "[orchestrator-address ...]",
		"Lists the live runners the network offers, one line each: orchestrator,\napp, mode, sessions used/capacity, GPU, price.", stderr)
	app := fs.String("app", "", `only runners of this app ("" every app)`)
	mode := fs.String("mode", "", `only "persistent" or "single-shot" runners`)
	gpu := fs.String("gpu", "", "only runners whose GPU name contains this")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	if *mode != "" && *mode != string(liverunner.Persistent) && *mode != string(liverunner.SingleShot) {
		return fmt.Errorf("-mode must be persistent or single-shot, got %q", *mode)
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: exampleutil.ToyRunnersNetwork(), Setup: exampleutil.ServeToyRunners}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	runners, err := env.Gateway.Runners(ctx, livepeer.RunnerFilter{App: *app, Mode: liverunner.Mode(*mode), GPU: *gpu})
	if err != nil {
		return err
	}
	if len(runners) == 0 {
		return fmt.Errorf("no live runner found")
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORCHESTRATOR\tAPP\tMODE\tUSED/CAPACITY\tGPU\tPRICE")
	for _, r := range runners {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\n", r.Orchestrator, r.App, r.Mode, r.CapacityUsed, r.Capacity, gpuText(r.GPU), r.Price)
	}
	return tw.Flush()
}

func gpuText(g *liverunner.GPU) string {
	switch {
	case g == nil || (g.Name == "" && g.ID == ""):
		return "-"
	case g.Name == "":
		return "device " + g.ID
	case g.VRAMMB > 0:
		return fmt.Sprintf("%s (%d MB)", g.Name, g.VRAMMB)
	}
	return g.Name
}
