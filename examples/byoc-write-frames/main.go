// Command byoc-write-frames publishes an ffmpeg test pattern to a BYOC
// stream ("byoc/<capability>": a worker that processes video, run by an
// orchestrator's BYOC stream routes) and writes the processed output to a
// .ts file. It is the BYOC variant of write-frames.
//
//	go run ./examples/byoc-write-frames -o out.ts                  # 5 s, in-process network
//	go run ./examples/byoc-write-frames -o out.ts -params '{"effect":"hue","hue":200}'
//	go run ./examples/byoc-write-frames -token "$LIVEPEER_TOKEN" -capability my-video-filter -o out.ts
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
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "byoc-write-frames:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("byoc-write-frames", flag.ContinueOnError)
	fs.SetOutput(out)
	token := fs.String("token", "", "gateway token (default, with no -signer/-discovery/address: an in-process network)")
	signerURL := fs.String("signer", "", "remote signer URL")
	discoveryURL := fs.String("discovery", "", "discovery endpoint URL")
	capability := fs.String("capability", "text-reversal", "BYOC stream capability name")
	streamID := fs.String("stream-id", "", "stream id (default: a random one)")
	params := fs.String("params", `{}`, "stream start parameters (JSON object)")
	output := fs.String("o", "out.ts", "output MPEG-TS file")
	dur := fs.Duration("d", 5*time.Second, "test pattern duration")
	size := fs.String("size", "320x180", "test pattern size WxH")
	fps := fs.Int("fps", 30, "test pattern frame rate")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: byoc-write-frames [flags] [orchestrator address ...]\n\nWith no -token, -signer, -discovery or address it runs on an in-process network.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
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
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	cfg := livepeer.Config{Token: *token, SignerURL: *signerURL, DiscoveryURL: *discoveryURL, Orchestrators: fs.Args()}
	if *token == "" && *signerURL == "" && *discoveryURL == "" && fs.NArg() == 0 {
		net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
		if err != nil {
			return fmt.Errorf("start the in-process network: %w", err)
		}
		defer net.Close()
		for _, o := range net.Orchestrators() {
			// BYOC jobs need /process/token; stream routes come with the live server.
			b := livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{})
			defer b.Close()
		}
		fmt.Fprintln(out, "using an in-process network")
		cfg = livepeer.Config{Token: net.Token()}
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()

	sess, err := gw.Live(ctx, "byoc/"+*capability, livepeer.LiveOptions{Params: p, StreamID: *streamID})
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(out, "stream %s on %s\n", sess.Info().StreamID, sess.Info().Orchestrator)

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
	if _, err := media.Resegment(ctx, src, media.SinkOf(sess.NextSegment), media.ResegmentOptions{}); err != nil {
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
	fmt.Fprintf(out, "wrote %d frames to %s\n", st.VideoFrames, *output)
	if err := sess.Close(); err != nil { // stops the stream
		return err
	}
	return sess.Err()
}
