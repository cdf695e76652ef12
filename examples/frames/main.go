// Command frames draws video frames in Go, sends them through a live
// session, reads the processed frames back and prints each one's mean
// colour and end-to-end latency, then the latency p50.
//
// Each frame carries its index in a strip of black/white blocks, so the
// latency is measured from the moment the frame was handed to the encoder
// to the moment the same frame came back decoded, through the encoder,
// segmenting, the orchestrator's pipeline and the decoder.
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest),
// whose "noop" model passes the video through unchanged.
//
//	go run ./examples/frames                    # 150 frames, in-process network
//	go run ./examples/frames -n 300 -fps 15 -size 640x360
//	go run ./examples/frames -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion
//
// It needs ffmpeg (5.1 or later) in PATH and exits non-zero with a
// one-line error on failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "frames:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	token, signer, discovery, capability string
	orchestrators                        []string
	n, fps, w, h                         int
	timeout                              time.Duration
}

func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("frames", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.token, "token", "", "gateway token (base64 JSON with signer/discovery/orchestrators)")
	fs.StringVar(&c.signer, "signer", "", "remote signer URL")
	fs.StringVar(&c.discovery, "discovery", "", "discovery endpoint URL")
	fs.StringVar(&c.capability, "capability", "live-video-to-video/noop", "live capability to run the frames through")
	fs.IntVar(&c.n, "n", 150, "number of frames to send")
	fs.IntVar(&c.fps, "fps", 30, "frame rate (frames are drawn and sent in real time)")
	size := fs.String("size", "320x240", "frame size WxH (even numbers)")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "bound on the whole run")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: frames [flags] [orchestrator-address ...]\n\n"+
			"Draws frames in Go, sends them through a live session, reads the output\n"+
			"frames back and prints their mean colour and end-to-end latency.\n"+
			"With no -token, -signer, -discovery or address it starts the SDK's\n"+
			"in-process Livepeer network (livepeertest).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.orchestrators = fs.Args()
	if _, err := fmt.Sscanf(*size, "%dx%d", &c.w, &c.h); err != nil || c.w < 2*codeBits || c.h <= codeHeight || c.w%2 != 0 || c.h%2 != 0 {
		return nil, fmt.Errorf("bad -size %q: want WxH, even, at least %dx%d", *size, 2*codeBits, codeHeight+2)
	}
	if c.n < 1 || c.n > 1<<codeBits {
		return nil, fmt.Errorf("-n %d: must be 1 to %d", c.n, 1<<codeBits)
	}
	if c.fps < 1 || c.fps > 120 {
		return nil, fmt.Errorf("-fps %d: must be 1 to 120", c.fps)
	}
	return c, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	c, err := parseFlags(args, out)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	gw, closeNet, err := gateway(c, out)
	if err != nil {
		return err
	}
	defer closeNet()
	defer gw.Close()

	fmt.Fprintf(out, "starting %s...\n", c.capability)
	sess, err := startSession(ctx, gw, c.capability)
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(out, "session %s on %s: sending %d frames of %dx%d at %d fps\n", sess.Info().ManifestID, sess.Info().Orchestrator, c.n, c.w, c.h, c.fps)

	sent := &sendTimes{at: make(map[int]time.Time, c.n)}
	sendErr := make(chan error, 1)
	go func() { sendErr <- send(ctx, sess, c, sent) }()

	lat, err := receive(ctx, sess, sent, out)
	if serr := <-sendErr; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if len(lat) == 0 {
		return errors.New("no frame came back with a readable index")
	}
	fmt.Fprintf(out, "received %d of %d frames; end-to-end latency p50 %v, p90 %v, max %v\n",
		len(lat), c.n, percentile(lat, 50), percentile(lat, 90), percentile(lat, 100))
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}

// gateway returns a Gateway for the flags' orchestrator source, or for a
// new in-process network when the flags name none (closeNet stops it).
func gateway(c *config, out io.Writer) (gw *livepeer.Gateway, closeNet func(), err error) {
	cfg := livepeer.Config{Token: c.token, SignerURL: c.signer, DiscoveryURL: c.discovery, Orchestrators: c.orchestrators}
	closeNet = func() {}
	if c.token == "" && c.signer == "" && c.discovery == "" && len(c.orchestrators) == 0 {
		net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
		if err != nil {
			return nil, nil, fmt.Errorf("start the in-process network: %w", err)
		}
		cfg, closeNet = livepeer.Config{Token: net.Token()}, net.Close
		fmt.Fprintln(out, "no orchestrator source given: using an in-process Livepeer network")
	}
	gw, err = livepeer.NewGateway(cfg)
	if err != nil {
		closeNet()
		return nil, nil, err
	}
	return gw, closeNet, nil
}

// startSession is the one place that starts the live session (kept apart so
// the call adapts in one spot when the root API's options change).
func startSession(ctx context.Context, gw *livepeer.Gateway, capability string) (*livepeer.LiveSession, error) {
	return gw.Live(ctx, capability, nil)
}

// sendTimes records when each frame index was handed to the encoder.
type sendTimes struct {
	mu sync.Mutex
	at map[int]time.Time
}

func (s *sendTimes) set(i int, t time.Time) {
	s.mu.Lock()
	s.at[i] = t
	s.mu.Unlock()
}

func (s *sendTimes) get(i int) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.at[i]
	return t, ok
}

// send draws c.n frames at c.fps in real time, encodes them into the
// session's input, then ends the input so the output ends after the last
// frame.
func send(ctx context.Context, sess *livepeer.LiveSession, c *config, sent *sendTimes) error {
	enc, err := media.NewFrameEncoder(ctx, media.SinkOf(sess.NextSegment), media.FrameEncoderOptions{
		Width: c.w, Height: c.h, FrameRate: float64(c.fps),
		Encode:    media.EncodeOptions{KeyframeInterval: time.Second},
		Segmenter: media.SegmenterOptions{MinSegmentDuration: time.Second},
	})
	if err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	tick := time.NewTicker(time.Second / time.Duration(c.fps))
	defer tick.Stop()
	for i := range c.n {
		drawFrame(img, i)
		sent.set(i, time.Now())
		if err := enc.WriteImage(ctx, img); err != nil {
			_ = enc.Close()
			return fmt.Errorf("send frame %d: %w", i, err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			_ = enc.Close()
			return ctx.Err()
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return sess.EndInput(ctx)
}

// receive decodes the session's output until it ends, printing one line per
// frame, and returns the latencies of the frames whose index it could read.
func receive(ctx context.Context, sess *livepeer.LiveSession, sent *sendTimes, out io.Writer) ([]time.Duration, error) {
	var lat []time.Duration
	for f, err := range media.DecodeFrames(ctx, sess.Subscribe(ctx), media.FrameDecoderOptions{}) {
		if err != nil {
			return lat, fmt.Errorf("receive: %w", err)
		}
		now := time.Now()
		mc := meanColour(f.Image)
		idx, ok := readIndex(f.Image)
		t0, known := sent.get(idx)
		if !ok || !known {
			fmt.Fprintf(out, "frame %4d  pts %-9v  mean rgb(%3d,%3d,%3d)  index unreadable\n", f.Index, f.Timestamp().Round(time.Millisecond), mc.R, mc.G, mc.B)
			continue
		}
		d := now.Sub(t0)
		lat = append(lat, d)
		fmt.Fprintf(out, "frame %4d  sent #%-4d  pts %-9v  mean rgb(%3d,%3d,%3d)  latency %v\n", f.Index, idx, f.Timestamp().Round(time.Millisecond), mc.R, mc.G, mc.B, d.Round(time.Millisecond))
	}
	return lat, nil
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(time.Millisecond)
}
