// Command byoc-write-frames publishes an ffmpeg test pattern to a BYOC
// stream ("byoc/<capability>": a worker that processes video, run by an
// orchestrator's BYOC stream routes) and writes the processed output to a
// .ts file. It is the BYOC variant of write-frames.
//
//	go run ./examples/byoc-write-frames -o out.ts                  # 5 s, in-process network
//	go run ./examples/byoc-write-frames -o out.ts -params '{"effect":"hue","hue":200}'
//	go run ./examples/byoc-write-frames -token "$LIVEPEER_TOKEN" -capability byoc/my-video-filter -o out.ts
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest)
// with BYOC enabled, whose "text-reversal" capability (the default, as in
// the Python SDK's byoc_write_frames.py) also serves streams: it really
// processes the video with ffmpeg (negated by default; see -params). The
// stream is paid for on a timer, and stopped (POST /ai/stream/stop) at the
// end. It needs ffmpeg in PATH and exits non-zero with a one-line error on
// failure.
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
		fmt.Fprintln(os.Stderr, "byoc-write-frames:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("byoc-write-frames", "[orchestrator-address ...]",
		"Publishes an ffmpeg test pattern to a BYOC stream (Gateway.Live on\nbyoc/<name>) and writes the processed output to an MPEG-TS file.", stderr)
	capability := fs.String("capability", "byoc/text-reversal", "BYOC stream capability (\"byoc/<name>\")")
	streamID := fs.String("stream-id", "", "stream id (default: a random one)")
	params := fs.String("params", `{}`, "stream start parameters (JSON object)")
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
		return fmt.Errorf("bad -size %q (want WxH)", *size)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(*params), &p); err != nil || p == nil {
		return fmt.Errorf("-params must be a JSON object: %q", *params)
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{
		Network: livepeertest.NetworkConfig{Orchestrators: 1},
		Setup: func(n *livepeertest.Network) (func(), error) {
			// BYOC streams need /process/token; stream routes come with the live server.
			var servers []*livepeertest.BYOCServer
			for _, o := range n.Orchestrators() {
				servers = append(servers, livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{}))
			}
			return func() {
				for _, b := range servers {
					_ = b.Close()
				}
			}, nil
		},
	}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	var opts []livepeer.CallOption
	if *streamID != "" {
		opts = append(opts, livepeer.WithStreamID(*streamID))
	}
	sess, err := env.Gateway.Live(ctx, *capability, p, opts...)
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(stderr, "stream %s on %s\n", sess.Info().StreamID, sess.Info().Orchestrator)

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
	// End the input: the worker flushes its pipeline and closes the output.
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
	if err := sess.Close(); err != nil { // stops the stream
		return err
	}
	return sess.Err()
}
