// Command subscribe-events starts a live-video-to-video session, publishes a
// short ffmpeg test pattern to it, sends one parameter update, and prints
// each event the pipeline reports as one JSON line, until the stream ends or
// -count events were printed.
//
//	go run ./examples/subscribe-events                          # in-process network
//	go run ./examples/subscribe-events -count 3 -update '{"prompt":"a cat"}'
//	go run ./examples/subscribe-events -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion
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
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "subscribe-events:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("subscribe-events", "[orchestrator-address ...]",
		"Starts a live-video-to-video session, publishes a short test pattern,\nsends one parameter update, and prints each event of the session as a\nJSON line until the stream ends or -count events were printed.", stderr)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "live-video-to-video capability (pipeline/model)")
	n := fs.Int("count", 0, "stop after this many events (0: until the stream ends)")
	dur := fs.Duration("duration", 3*time.Second, "test pattern duration")
	update := fs.String("update", `{"prompt":"a watercolor landscape"}`, "control message sent 1 s in (JSON object; empty: none)")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	if *n < 0 {
		return fmt.Errorf("-count must not be negative, got %d", *n)
	}
	var upd map[string]any
	if *update != "" {
		if err := json.Unmarshal([]byte(*update), &upd); err != nil || upd == nil {
			return fmt.Errorf("-update must be a JSON object: %q", *update)
		}
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{Orchestrators: 1}}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	sess, err := env.Gateway.Live(ctx, *capability, nil)
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

	fmt.Fprintf(stderr, "session %s on %s; waiting for events\n", sess.Info().ManifestID, sess.Info().Orchestrator)
	var count atomic.Int64
	stopProgress := exampleutil.Progress(stderr, 2*time.Second, func() string {
		return fmt.Sprintf("%d events so far", count.Load())
	})
	defer stopProgress()
	for ev, err := range sess.Events(ctx) {
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", ev.Data)
		if c := count.Add(1); *n > 0 && c >= int64(*n) {
			break
		}
	}
	stopProgress()
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
