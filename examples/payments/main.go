// Command payments runs one live-video-to-video payment session and prints
// every payment: the tickets the remote signer made, what they commit
// (expected value, in wei), and the orchestrator that accepted them.
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest)
// and pays one of its orchestrators through its metering remote signer.
//
//	go run ./examples/payments                      # in-process network
//	go run ./examples/payments -signer https://signer.example -n 3
//	go run ./examples/payments -token "$LIVEPEER_TOKEN" orch1:8935
//
// It exits non-zero with a one-line error when the signer is unreachable,
// no orchestrator serves the capability, or the payer is out of credit.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"github.com/livepeer/livepeer-go-gateway/payment"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "payments:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("payments", flag.ContinueOnError)
	token := fs.String("token", "", "gateway token (base64 JSON with signer/discovery/orchestrators)")
	signerURL := fs.String("signer", "", "remote signer URL")
	discoveryURL := fs.String("discovery", "", "discovery endpoint URL")
	model := fs.String("model", "noop", "live-video-to-video model to pay for")
	count := fs.Int("n", 5, "number of payments to send")
	interval := fs.Duration("interval", time.Second, "time between payments (the signer bills elapsed seconds)")
	timeout := fs.Duration("timeout", 10*time.Second, "per-orchestrator GetOrchestrator timeout")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: payments [flags] [orchestrator-address ...]\n\n"+
			"Runs a live-video-to-video payment session and prints each payment.\n"+
			"With no -token, -signer, -discovery or address it starts the SDK's\n"+
			"in-process Livepeer network (livepeertest) and pays it.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *count < 1 {
		return errors.New("-n must be at least 1")
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	cfg := livepeer.Config{
		Token: *token, SignerURL: *signerURL, DiscoveryURL: *discoveryURL,
		Orchestrators: fs.Args(), OrchestratorTimeout: *timeout,
	}
	if *token == "" && *signerURL == "" && *discoveryURL == "" && fs.NArg() == 0 {
		net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{})
		if err != nil {
			return fmt.Errorf("start the in-process network: %w", err)
		}
		defer net.Close()
		fmt.Fprintf(out, "in-process network: signer %s, %d orchestrators\n", net.SignerURL(), len(net.OrchestratorAddrs()))
		cfg.Token = net.Token()
	}

	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()

	capability := "live-video-to-video/" + *model
	sel, err := gw.Select(ctx, capability)
	if err != nil {
		return err
	}
	info, err := sel.Next(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "orchestrator %s (%s), price %s\n", info.Addr, info.Address.Hex(), priceString(info.Price))

	sess, err := gw.NewPaymentSession(info, payment.Config{})
	if err != nil {
		return err
	}
	defer sess.Close()

	// A real job gets its manifest id from the orchestrator's start answer;
	// this example pays for a manifest of its own.
	sess.SetManifestID(randomID())

	for i := 1; i <= *count; i++ {
		if i > 1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(*interval):
			}
		}
		err := sess.SendLV2V(ctx)
		switch {
		case errors.Is(err, livepeer.ErrNoTicketsNeeded):
			fmt.Fprintf(out, "payment %d: skipped, the orchestrator still holds enough credit\n", i)
			continue
		case err != nil:
			return fmt.Errorf("payment %d: %w", i, err)
		}
		tk, err := sess.LastPayment().Tickets()
		if err != nil {
			return fmt.Errorf("payment %d: %w", i, err)
		}
		if tk.Count == 0 {
			fmt.Fprintf(out, "payment %d: off-chain, seg creds only\n", i)
			continue
		}
		fmt.Fprintf(out, "payment %d: %d tickets, face value %s wei, win prob %.3g, EV %s wei, sender %s\n",
			i, tk.Count, tk.FaceValue, winProb(tk), tk.EV.FloatString(0), tk.Sender.Hex())
	}
	return nil
}

func priceString(p *discovery.Price) string {
	if p == nil {
		return "free (off-chain)"
	}
	return p.String()
}

func winProb(tk payment.Tickets) float64 {
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(tk.WinProb), new(big.Float).SetInt(maxWinProb)).Float64()
	return f
}

var maxWinProb = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
