// Command scope runs Scope (live-video-to-video/scope) on a test pattern:
// video in, video out to an MPEG-TS file, and a prompt change half way.
//
//	go run ./examples/scope -o out.ts                     # in-process network
//	go run ./examples/scope -token "$LIVEPEER_TOKEN" -prompt "a cat" -then "a dog" -o - | ffplay -
//
// Scope runs on go-livepeer's live runners: Live tries a runner of app
// live-video-to-video/scope first (a serverless runner answers the start
// itself; otherwise the session's app answers POST {app_url}/scope with
// the stream's channels), else an orchestrator's /scope route, which (as
// go-livepeer master) gives control and events channels only: then there is
// no video to send or receive, and the example says so and stops.
//
// With no address and no -token, -signer or -discovery it starts the SDK's
// in-process Livepeer network (livepeertest) with a Go Scope-like runner
// (package runner, livepeertest/worker.Scope) whose ffmpeg filter picks a
// colour effect from the prompt's first word ("flowers" rose, "ocean"
// cool...). It needs ffmpeg in PATH and exits non-zero with a one-line
// error on failure.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/media"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scope:", err)
		os.Exit(1)
	}
}

// runnerSecret is the in-process orchestrator's bootstrap secret.
const runnerSecret = "example-secret"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("scope", "[orchestrator-address ...]",
		"Runs Scope (live-video-to-video/scope) on a test pattern, writes the\noutput to an MPEG-TS file and changes the prompt half way.", stderr)
	prompt := fs.String("prompt", "flowers", "the first prompt")
	then := fs.String("then", "ocean", "the prompt sent half way")
	output := fs.String("o", "out.ts", `output MPEG-TS file, or "-" for stdout`)
	dur := fs.Duration("duration", 6*time.Second, "test pattern duration")
	size := fs.String("size", "320x180", "test pattern size WxH")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
		return fmt.Errorf("bad -size %q (want WxH)", *size)
	}
	stderr = exampleutil.SyncWriter(stderr) // progress, warnings and steps print from several goroutines
	msgs, result := stderr, stdout
	var video io.Writer
	if *output == "-" {
		video, result = stdout, stderr
	} else {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		video = f
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{
		Network: livepeertest.NetworkConfig{Orchestrators: 1, Runners: &livepeertest.RunnersConfig{Secret: runnerSecret}},
		Setup:   startScopeRunner,
	}, msgs)
	if err != nil {
		return err
	}
	defer env.Close()

	fmt.Fprintf(msgs, "starting live-video-to-video/scope, prompt %q…\n", *prompt)
	sess, err := env.Gateway.Live(ctx, "live-video-to-video/scope", map[string]any{"prompt": *prompt},
		livepeer.WithRunnerWarnings(func(w livepeer.RunnerWarning) { fmt.Fprintln(msgs, "warning:", w) }))
	if err != nil {
		return err
	}
	defer sess.Close()
	info := sess.Info()
	fmt.Fprintf(msgs, "session %s on %s (%s)\n", info.ManifestID, info.Orchestrator, info.Kind)
	if info.PublishURL == "" || info.SubscribeURL == "" {
		return fmt.Errorf("%s started Scope on its /scope route, which has no video channels (go-livepeer master): %w", info.Orchestrator, livepeer.ErrNoMediaChannel)
	}

	cw := media.NewContinuousWriter(video, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- media.WriteSegments(ctx, cw, sess.Subscribe(ctx)) }()
	var sent atomic.Int64
	pubDone := make(chan error, 1)
	go func() { pubDone <- publish(ctx, sess, w, h, *dur, &sent) }()
	began := time.Now()
	stopProgress := exampleutil.Progress(msgs, 2*time.Second, func() string {
		return fmt.Sprintf("%s of %s sent (%d segments)", time.Since(began).Round(time.Second), *dur, sent.Load())
	})
	defer stopProgress()

	select {
	case <-time.After(*dur / 2):
		if err := sess.Update(ctx, map[string]any{"prompt": *then}); err != nil {
			return fmt.Errorf("prompt change: %w", err)
		}
		fmt.Fprintf(msgs, "prompt changed to %q\n", *then)
	case err := <-pubDone:
		return fmt.Errorf("the input ended early: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := <-pubDone; err != nil {
		return err
	}
	stopProgress()
	select {
	case err = <-outDone:
	case <-time.After(20 * time.Second):
		err = errors.New("the output did not end 20 s after the input")
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	_, st := cw.Stats()
	fmt.Fprintf(result, "wrote %d frames to %s\n", st.VideoFrames, *output)
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}

// publish sends a real-time test pattern for d, then ends the input.
func publish(ctx context.Context, sess *livepeer.LiveSession, w, h int, d time.Duration, sent *atomic.Int64) error {
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: w, Height: h, Duration: d,
		Realtime: true, Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	if err != nil {
		return err
	}
	defer src.Close()
	sink := media.SinkOf(func(ctx context.Context) (io.WriteCloser, error) {
		sent.Add(1)
		return sess.NextSegment(ctx)
	})
	if _, err := media.Resegment(ctx, src, sink, media.ResegmentOptions{}); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	return sess.EndInput(ctx)
}

// startScopeRunner serves a Scope-like app (package runner; ffmpeg driven
// by the prompt) on a local port and registers it with the in-process
// orchestrator, as a Go program on a GPU box would register with a real
// one.
func startScopeRunner(n *livepeertest.Network) (func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r, err := runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: n.Orchestrators()[0].URL(), Secret: runnerSecret}},
		Registration: runner.Registration{URL: "http://" + ln.Addr().String(), App: "live-video-to-video/scope", Version: "example",
			Capacity: 1, Price: &runner.Price{USD: "0.0005", Unit: runner.Per720p}, GPU: &runner.GPU{Name: "example GPU", VRAMMB: 24576}},
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: worker.Scope(r, livepeertest.RunnerVideo(livepeertest.Transform(livepeertest.TransformConfig{}))), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	cleanup := func() {
		_ = r.Close()
		_ = srv.Close()
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		cleanup()
		return nil, fmt.Errorf("register the Scope runner: %w", err)
	}
	return cleanup, nil
}
