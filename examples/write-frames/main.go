// Command write-frames publishes an ffmpeg test pattern to a
// live-video-to-video session and writes the processed output to a .ts file.
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest),
// whose "streamdiffusion" model really processes the video with ffmpeg
// (negated by default; see -params).
//
//	go run ./examples/write-frames -o out.ts                 # 5 s, in-process network
//	go run ./examples/write-frames -o out.ts -duration 10s -params '{"effect":"hue","hue":120}'
//	go run ./examples/write-frames -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion -o out.ts
//
// It needs ffmpeg in PATH and exits non-zero with a one-line error on failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "write-frames:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("write-frames", "[orchestrator-address ...]",
		"Publishes an ffmpeg test pattern to a live-video-to-video session and\nwrites the processed output to an MPEG-TS file.", stderr)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "live-video-to-video capability (pipeline/model)")
	params := fs.String("params", `{"effect":"negate"}`, "initial pipeline parameters (JSON object)")
	output := fs.String("o", "out.ts", "output MPEG-TS file")
	dur := fs.Duration("duration", 5*time.Second, "test pattern duration")
	size := fs.String("size", "320x180", "test pattern size WxH")
	fps := fs.Int("fps", 30, "test pattern frame rate")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
		return fmt.Errorf("bad -size %q", *size)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(*params), &p); err != nil {
		return fmt.Errorf("bad -params: %w", err)
	}
	ctx, stop := flags.Context(ctx)
	defer stop()

	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{Orchestrators: 1}}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	sess, err := env.Gateway.Live(ctx, *capability, p)
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(stderr, "session %s on %s\n", sess.Info().ManifestID, sess.Info().Orchestrator)

	f, err := os.Create(*output)
	if err != nil {
		return err
	}
	defer f.Close()
	cw := media.NewContinuousWriter(f, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- media.WriteSegments(ctx, cw, sess.Subscribe(ctx)) }()

	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: w, Height: h, FPS: *fps, Duration: *dur,
		Realtime: true, Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	if err != nil {
		return err
	}
	defer src.Close()
	var sent atomic.Int64
	stopProgress := exampleutil.Progress(stderr, time.Second, func() string {
		return fmt.Sprintf("publishing… %d segments sent", sent.Load())
	})
	_, err = media.Resegment(ctx, src, media.SinkOf(func(ctx context.Context) (io.WriteCloser, error) {
		sent.Add(1)
		return sess.NextSegment(ctx)
	}), media.ResegmentOptions{})
	stopProgress()
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	// End the input: the orchestrator flushes the pipeline and closes the output.
	if err := sess.EndInput(ctx); err != nil {
		return err
	}
	select {
	case err = <-outDone:
	case <-time.After(15 * time.Second):
		err = errors.New("output did not end 15 s after the input")
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	_, st := cw.Stats()
	fmt.Fprintf(stdout, "wrote %d frames to %s\n", st.VideoFrames, *output)
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}
