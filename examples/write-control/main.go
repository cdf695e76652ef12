// Command write-control starts a live-video-to-video session and sends N
// control messages on its control channel, each the JSON object of -msg with
// a counter field "n" added, printing each send. It also reads the control
// channel back (a trickle channel can be read by anyone who holds its URL)
// and prints what went over it, so the session's {"keep":"alive"} messages,
// which go out every -keepalive in the background, show up between yours.
//
//	go run ./examples/write-control                              # in-process network
//	go run ./examples/write-control -n 10 -interval 500ms -msg '{"prompt":"a cat"}'
//	go run ./examples/write-control -token "$LIVEPEER_TOKEN" -model streamdiffusion
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest).
// It exits 0 after the last message, non-zero with a one-line error on failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "write-control:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("write-control", flag.ContinueOnError)
	fs.SetOutput(out)
	token := fs.String("token", "", "gateway token (default, with no -signer/-discovery/address: an in-process network)")
	signerURL := fs.String("signer", "", "remote signer URL")
	discoveryURL := fs.String("discovery", "", "discovery endpoint URL")
	model := fs.String("model", "streamdiffusion", "live-video-to-video model")
	n := fs.Int("n", 5, "number of control messages")
	interval := fs.Duration("interval", time.Second, "time between messages")
	msgJSON := fs.String("msg", `{"prompt":"a watercolor landscape"}`, `message (JSON object); "n" is set to the message's number`)
	keepalive := fs.Duration("keepalive", 2*time.Second, "keepalive interval (go-livepeer's gateway uses 10s)")
	echo := fs.Bool("echo", true, "read the control channel back and print what went over it")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: write-control [flags] [orchestrator address ...]\n\nWith no -token, -signer, -discovery or address it runs on an in-process network.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *n < 1 {
		return fmt.Errorf("-n must be at least 1, got %d", *n)
	}
	if *keepalive <= 0 {
		return fmt.Errorf("-keepalive must be positive, got %s", *keepalive)
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(*msgJSON), &msg); err != nil || msg == nil {
		return fmt.Errorf("-msg must be a JSON object: %q", *msgJSON)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	cfg := livepeer.Config{Token: *token, SignerURL: *signerURL, DiscoveryURL: *discoveryURL, Orchestrators: fs.Args()}
	if *token == "" && *signerURL == "" && *discoveryURL == "" && fs.NArg() == 0 {
		net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
		if err != nil {
			return fmt.Errorf("start the in-process network: %w", err)
		}
		defer net.Close()
		fmt.Fprintln(out, "using an in-process network")
		cfg = livepeer.Config{Token: net.Token()}
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()

	sess, err := gw.Live(ctx, "live-video-to-video/"+*model, livepeer.LiveOptions{KeepaliveInterval: *keepalive})
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(out, "session %s on %s, keepalive every %s\n", sess.Info().ManifestID, sess.Info().Orchestrator, *keepalive)

	var mu sync.Mutex // serialises lines on out
	printf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format, a...)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	echoCtx, stopEcho := context.WithCancel(ctx)
	defer stopEcho()
	if *echo {
		sub, err := trickle.NewSubscriber(sess.Info().ControlURL, trickle.SubscriberConfig{})
		if err != nil {
			return err
		}
		wg.Go(func() {
			defer sub.Close()
			for {
				seg, err := sub.Next(echoCtx)
				if err != nil {
					return
				}
				b, _ := io.ReadAll(io.LimitReader(seg, 1<<20))
				seg.Close()
				printf("control channel seq %d: %s\n", seg.Seq(), b)
			}
		})
	}

	for i := 1; i <= *n; i++ {
		if i > 1 {
			select {
			case <-time.After(*interval):
			case <-ctx.Done():
				return ctx.Err()
			case <-sess.Done():
				return fmt.Errorf("session ended: %w", sess.Err())
			}
		}
		m := make(map[string]any, len(msg)+1)
		for k, v := range msg {
			m[k] = v
		}
		m["n"] = i
		b, _ := json.Marshal(m)
		printf("sending %d/%d: %s\n", i, *n, b)
		if err := sess.Control(ctx, json.RawMessage(b)); err != nil {
			// A session that ended, or a cancelled ctx, stops the run; a
			// failed write of one message is reported and skipped.
			select {
			case <-sess.Done():
				return fmt.Errorf("control message %d: %w", i, err)
			default:
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			printf("message %d/%d not sent (skipped): %v\n", i, *n, err)
		}
	}
	// Let the echo reader see the last message before the session closes.
	time.Sleep(200 * time.Millisecond)
	stopEcho()
	wg.Wait()
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}
