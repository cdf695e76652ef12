// Command subscribe-events starts a live-video-to-video session, publishes a
// short ffmpeg test pattern to it, sends one parameter update, and prints
// each event the pipeline reports as one JSON line, until the stream ends or
// -n events were printed.
//
//	go run ./examples/subscribe-events                          # in-process network
//	go run ./examples/subscribe-events -n 3 -update '{"prompt":"a cat"}'
//	go run ./examples/subscribe-events -token "$LIVEPEER_TOKEN" -model streamdiffusion
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest),
// whose pipelines report "status" and "params_update" events as ai-runner
// does. It needs ffmpeg in PATH and exits non-zero with a one-line error on
// failure.
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
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "subscribe-events:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("subscribe-events", flag.ContinueOnError)
	fs.SetOutput(out)
	token := fs.String("token", "", "gateway token (default, with no -signer/-discovery/address: an in-process network)")
	signerURL := fs.String("signer", "", "remote signer URL")
	discoveryURL := fs.String("discovery", "", "discovery endpoint URL")
	model := fs.String("model", "streamdiffusion", "live-video-to-video model")
	n := fs.Int("n", 0, "stop after this many events (0: until the stream ends)")
	dur := fs.Duration("d", 3*time.Second, "test pattern duration")
	update := fs.String("update", `{"prompt":"a watercolor landscape"}`, "control message sent 1 s in (JSON object; empty: none)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: subscribe-events [flags] [orchestrator address ...]\n\nWith no -token, -signer, -discovery or address it runs on an in-process network.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *n < 0 {
		return fmt.Errorf("-n must not be negative, got %d", *n)
	}
	var upd map[string]any
	if *update != "" {
		if err := json.Unmarshal([]byte(*update), &upd); err != nil || upd == nil {
			return fmt.Errorf("-update must be a JSON object: %q", *update)
		}
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
		cfg = livepeer.Config{Token: net.Token()}
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()

	sess, err := gw.Live(ctx, "live-video-to-video/"+*model, livepeer.LiveOptions{})
	if err != nil {
		return err
	}
	defer sess.Close()

	// Publish the test pattern (and the update) in the background; the
	// input's end ends the stream, which ends the events.
	pubCtx, stopPub := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopPub(); wg.Wait() }()
	pubErr := make(chan error, 1)
	wg.Go(func() { pubErr <- publish(pubCtx, sess, *dur) })
	if upd != nil {
		wg.Go(func() {
			select {
			case <-time.After(time.Second):
				_ = sess.Control(pubCtx, upd)
			case <-pubCtx.Done():
			}
		})
	}

	count := 0
	for ev, err := range sess.Events(ctx) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n", ev.Data)
		if count++; *n > 0 && count >= *n {
			break
		}
	}
	stopPub()
	wg.Wait()
	if err := <-pubErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}

// publish sends a real-time test pattern for d, then ends the input.
func publish(ctx context.Context, sess *livepeer.LiveSession, d time.Duration) error {
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 320, Height: 180, Duration: d,
		Realtime: true, Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := media.Resegment(ctx, src, media.SinkOf(sess.NextSegment), media.ResegmentOptions{}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("publish: %w", err)
	}
	return sess.EndInput(ctx)
}
