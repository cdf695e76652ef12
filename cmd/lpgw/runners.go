package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"text/tabwriter"
)

const runnersAbout = `Lists the live runners of the network's orchestrators (go-livepeer live
runners: applications an orchestrator reserves, pays for and proxies to):
the app, its mode (persistent sessions or single-shot requests), capacity,
GPU and price, and the orchestrator serving it. --app keeps one app;
--json prints a JSON array for scripts. Orchestrator addresses may be
given as arguments.

Runners are found as the SDK's Gateway.Runners finds them: from the
orchestrators given (each one's GET /discovery, with --pins checked), else
the discovery endpoint's runner records, else the remote signer's. A
discovery endpoint or signer lists on-chain (priced) runners only: give
orchestrator addresses to see off-chain ones.

Call a runner app with lpgw run runner/APP INPUT --path PATH.`

func (c *cli) runners(ctx context.Context, args []string) error {
	fs := c.newFlagSet("runners", "[flags] [address ...]", runnersAbout)
	var nf netFlags
	nf.register(fs)
	app := fs.String("app", "", "only runners of this `app`, e.g. live-video-to-video/scope")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	addrs, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	ctx, cancel := nf.bound(ctx)
	defer cancel()
	env, err := c.open(ctx, &nf, addrs)
	if err != nil {
		return finish(ctx, err)
	}
	defer env.Close()
	rs, errs, err := listRunners(ctx, gatewayRunners{gw: env.gw, app: *app}, *app)
	if err != nil {
		return finish(ctx, err)
	}
	for _, e := range errs {
		fmt.Fprintf(c.stderr, "lpgw: skipped %v\n", e)
	}
	if *asJSON {
		if rs == nil {
			rs = []runnerRecord{}
		}
		return printJSON(c.stdout, rs)
	}
	printRunners(c.stdout, rs)
	return nil
}

// listRunners asks src and keeps app's runners (all when app is ""),
// sorted by app, then price, then orchestrator.
func listRunners(ctx context.Context, src runnerSource, app string) ([]runnerRecord, []error, error) {
	rs, errs, err := src.Runners(ctx)
	if err != nil {
		return nil, nil, err
	}
	if app != "" {
		rs = slices.DeleteFunc(rs, func(r runnerRecord) bool { return r.App != app })
	}
	slices.SortFunc(rs, func(a, b runnerRecord) int {
		return cmp.Or(cmp.Compare(a.App, b.App), a.priceValue().Cmp(b.priceValue()),
			cmp.Compare(a.Orchestrator, b.Orchestrator), cmp.Compare(a.URL, b.URL))
	})
	return rs, errs, nil
}

// priceValue is the price as a number for sorting: free (off-chain) is
// 0, a price that is not a number sorts last.
func (r runnerRecord) priceValue() *big.Rat {
	if r.PriceInfo == nil {
		return new(big.Rat)
	}
	p, ok := new(big.Rat).SetString(r.PriceInfo.Price.String())
	if !ok {
		return new(big.Rat).SetInt64(math.MaxInt64)
	}
	return p
}

func (r runnerRecord) price() string {
	if r.PriceInfo == nil {
		return "free (off-chain)"
	}
	unit := r.PriceInfo.Unit
	switch unit {
	case "seconds":
		unit = "second"
	case "720p-pixel-seconds":
		unit = "720p pixel-second"
	case "fixed":
		unit = "session"
	}
	return fmt.Sprintf("%s %s / %s", r.PriceInfo.Price, r.PriceInfo.Currency, unit)
}

func (r runnerRecord) mode() string {
	if r.Mode == "" {
		return "persistent"
	}
	return r.Mode
}

func (r runnerRecord) gpu() string {
	switch {
	case r.GPU == nil:
		return "-"
	case r.GPU.VRAMMB > 0:
		return fmt.Sprintf("%s (%d GiB)", cmp.Or(r.GPU.Name, r.GPU.ID), r.GPU.VRAMMB/1024)
	}
	return cmp.Or(r.GPU.Name, r.GPU.ID, "-")
}

func printRunners(w io.Writer, rs []runnerRecord) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tMODE\tCAPACITY\tGPU\tPRICE\tORCHESTRATOR")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d free\t%s\t%s\t%s\n", r.App, r.mode(), r.CapacityAvailable, r.Capacity, r.gpu(), r.price(), r.Orchestrator)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d runner(s)\n", len(rs))
}
