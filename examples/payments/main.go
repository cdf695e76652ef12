// Command payments runs one live-video-to-video payment session and prints
// every payment: the tickets the remote signer made, what they commit
// (expected value, in wei), and the orchestrator that accepted them.
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest)
// and pays one of its orchestrators through its metering remote signer.
//
//	go run ./examples/payments                      # in-process network
//	go run ./examples/payments -signer https://signer.example -count 3
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
	"fmt"
	"io"
	"math/big"
	"os"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "payments:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("payments", "[orchestrator-address ...]",
		"Runs a live-video-to-video payment session (payment.Session) and prints\neach payment: tickets, what they commit, who accepted them.", stderr)
	capability := fs.String("capability", "live-video-to-video/noop", "live-video-to-video capability to pay for (pipeline/model)")
	count := fs.Int("count", 5, "number of payments to send")
	interval := fs.Duration("interval", time.Second, "time between payments (the signer bills elapsed seconds)")
	orchTimeout := fs.Duration("orchestrator-timeout", 10*time.Second, "per-orchestrator GetOrchestrator timeout")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	if *count < 1 {
		return errors.New("-count must be at least 1")
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{OrchestratorTimeout: *orchTimeout}, exampleutil.InProcess{}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()
	gw := env.Gateway

	sel, err := gw.Select(ctx, *capability)
	if err != nil {
		return err
	}
	info, err := sel.Next(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "orchestrator %s (%s), price %s\n", info.Addr, info.Address.Hex(), priceString(info.Price))

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
		fmt.Fprintf(stderr, "paying (%d/%d)…\n", i, *count)
		err := sess.SendLV2V(ctx)
		switch {
		case errors.Is(err, livepeer.ErrNoTicketsNeeded):
			fmt.Fprintf(stdout, "payment %d: skipped, the orchestrator still holds enough credit\n", i)
			continue
		case err != nil:
			return fmt.Errorf("payment %d: %w", i, err)
		}
		tk, err := sess.LastPayment().Tickets()
		if err != nil {
			return fmt.Errorf("payment %d: %w", i, err)
		}
		if tk.Count == 0 {
			fmt.Fprintf(stdout, "payment %d: off-chain, seg creds only\n", i)
			continue
		}
		fmt.Fprintf(stdout, "payment %d: %d tickets, face value %s wei, win prob %.3g, EV %s wei, sender %s\n",
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

// winProb is one ticket's win probability: its EV over its face value.
func winProb(tk payment.Tickets) float64 {
	if tk.Count == 0 || tk.FaceValue.Sign() == 0 {
		return 0
	}
	one := new(big.Rat).Quo(tk.EV, new(big.Rat).SetInt64(int64(tk.Count)))
	f, _ := one.Quo(one, new(big.Rat).SetInt(tk.FaceValue)).Float64()
	return f
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
