// Command get-orchestrator-info asks orchestrators for their
// OrchestratorInfo (GetOrchestrator over gRPC/TLS, signed by the remote
// signer when there is one) and prints one line per orchestrator: its
// address, what it serves and its prices. Orchestrators that cannot answer
// get a line with the reason.
//
//	go run ./examples/get-orchestrator-info                       # in-process network
//	go run ./examples/get-orchestrator-info orch1:8935 https://orch2:8935
//	go run ./examples/get-orchestrator-info -signer http://127.0.0.1:8081
//	go run ./examples/get-orchestrator-info -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion
//
// With no address and no -token, -signer or -discovery it starts the SDK's
// in-process Livepeer network (livepeertest) and queries that. It exits 0
// after printing, and non-zero with a one-line error when discovery fails
// (for example an unreachable signer).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
)

// capsFlag collects -capability values, repeated or comma-separated.
type capsFlag []string

func (c *capsFlag) String() string { return strings.Join(*c, ",") }
func (c *capsFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if _, err := discovery.ParseCapability(s); err != nil {
				return err
			}
			*c = append(*c, s)
		}
	}
	return nil
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "get-orchestrator-info:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("get-orchestrator-info", "[orchestrator-address ...]",
		"Asks orchestrators for their OrchestratorInfo (GetOrchestrator, signed by\nthe remote signer when there is one) and prints one line per orchestrator:\naddress, capabilities, prices; and why the others were not usable.", stderr)
	var caps capsFlag
	orchTimeout := fs.Duration("orchestrator-timeout", 3*time.Second, "per-orchestrator GetOrchestrator timeout")
	fs.Var(&caps, "capability", "only orchestrators serving this capability (pipeline/model; repeat or comma-separate)")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{OrchestratorTimeout: *orchTimeout}, exampleutil.InProcess{}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()
	gw := env.Gateway

	wants := []string(caps)
	if len(wants) == 0 {
		wants = []string{""} // everything, with every capability price
	}
	fmt.Fprintf(stderr, "asking the orchestrators (each for at most %v)…\n", *orchTimeout)
	seen := map[string]bool{}
	for _, want := range wants {
		sel, err := gw.Select(ctx, want)
		var noe *livepeer.NoOrchestratorError
		switch {
		case err == nil:
			for _, in := range sel.Candidates() {
				if !seen[in.Addr] {
					seen[in.Addr] = true
					fmt.Fprintln(stdout, describe(in))
				}
			}
			printRejections(stdout, sel.Rejections(), seen)
		case asNoOrch(err, &noe):
			fmt.Fprintf(stdout, "# %s: %s\n", want, noe.Reason)
			printRejections(stdout, noe.Rejections, seen)
		default:
			return err
		}
	}
	return nil
}

func asNoOrch(err error, target **livepeer.NoOrchestratorError) bool {
	e, ok := err.(*livepeer.NoOrchestratorError)
	if ok {
		*target = e
	}
	return ok
}

func printRejections(out io.Writer, rs []livepeer.Rejection, seen map[string]bool) {
	for _, r := range rs {
		if !seen[r.Orchestrator] {
			seen[r.Orchestrator] = true
			fmt.Fprintf(out, "%s  unavailable: %v\n", r.Orchestrator, r.Err)
		}
	}
}

// describe formats one orchestrator on one line.
func describe(in *discovery.Info) string {
	var b strings.Builder
	b.WriteString(in.Addr)
	if in.Transcoder != "" && in.Transcoder != "https://"+in.Addr && in.Transcoder != in.Addr {
		fmt.Fprintf(&b, "  transcoder=%s", in.Transcoder)
	}
	var capsOut []string
	for _, m := range in.Models {
		capsOut = append(capsOut, fmt.Sprintf("%s(warm=%t idle=%d busy=%d)", m.Capability, m.Warm, m.Capacity, m.CapacityInUse))
	}
	prices := map[string]string{}
	for _, cp := range in.CapabilityPrices {
		if cp.Capability.IsBYOC() {
			capsOut = append(capsOut, cp.Capability.String())
		}
		prices[cp.Capability.String()] = cp.Price.String()
	}
	if len(capsOut) == 0 {
		capsOut = append(capsOut, "none")
	}
	fmt.Fprintf(&b, "  caps=%s", strings.Join(capsOut, ","))
	switch {
	case in.Requested != nil && priceKnown(in):
		p, _ := in.PriceFor(*in.Requested)
		fmt.Fprintf(&b, "  price[%s]=%s", in.Requested, p)
	case len(prices) > 0:
		keys := make([]string, 0, len(prices))
		for k := range prices {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + prices[k]
		}
		fmt.Fprintf(&b, "  prices=%s", strings.Join(parts, ","))
	case in.Price != nil:
		fmt.Fprintf(&b, "  price=%s", in.Price)
	default:
		b.WriteString("  price=none (off-chain)")
	}
	fmt.Fprintf(&b, "  latency=%s", in.Latency.Round(time.Millisecond/10))
	return b.String()
}

func priceKnown(in *discovery.Info) bool {
	_, ok := in.PriceFor(*in.Requested)
	return ok
}
