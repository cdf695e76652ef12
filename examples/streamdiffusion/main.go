// Command streamdiffusion runs a StreamDiffusion live-video-to-video
// session with typed parameters (package streamdiffusion) set by flags
// (ai-runner's names in kebab-case: -guidance-scale sets guidance_scale, or
// a whole set from -params file.json), changes them live from stdin, and
// writes the output to a .ts file or stdout.
//
//	go run ./examples/streamdiffusion -o out.ts                    # in-process network
//	go run ./examples/streamdiffusion -prompt "a cat" -seed 42 -o - | ffplay -
//	go run ./examples/streamdiffusion -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion-sdxl -o - | ffplay -
//
// Each line typed on stdin is a new prompt; a line that is a JSON object
// ({"seed": 7, "guidance_scale": 1.5}) replaces those fields instead. Every
// change is checked with streamdiffusion's Validate (a bad value is reported
// with the field and its range, and not sent) and goes out as one control
// message carrying the whole parameter set, model_id included: ai-runner
// treats a control message as a full replacement, so a partial one would
// reset the other fields. streamdiffusion.Diff says what the change does to
// the running pipeline: a change that reloads it (model, LoRAs, adding a
// ControlNet, ...) is sent with a warning that the output pauses; one that
// ai-runner would refuse mid-stream (the output size) is not sent. Errors the
// pipeline reports in its status events (ai-runner's
// inference_status.last_error) are printed as they arrive.
//
// The input is an ffmpeg test pattern for -duration. With no orchestrator source
// (no -token, -signer, -discovery or address arguments) it starts the SDK's
// in-process Livepeer network (livepeertest), where the prompt picks a colour
// effect for the video. It needs ffmpeg in PATH and exits non-zero with a
// one-line error on failure. Progress goes to stderr, every 5 s while the
// input runs.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "streamdiffusion:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("streamdiffusion", "[orchestrator-address ...]",
		"Runs a StreamDiffusion live-video-to-video session on a test pattern:\nparameters on flags, a new prompt (or a JSON object of fields) per stdin\nline, the output to an MPEG-TS file or stdout.", stderr)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "live-video-to-video/streamdiffusion (sd-turbo) or live-video-to-video/streamdiffusion-sdxl (sdxl-turbo)")
	var pf paramFlags
	pf.register(fs)
	output := fs.String("o", "out.ts", `output MPEG-TS file, or "-" for stdout`)
	dur := fs.Duration("duration", 30*time.Second, "test pattern duration")
	size := fs.String("size", "320x180", "test pattern size WxH")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	model := strings.TrimPrefix(*capability, "live-video-to-video/")
	if _, ok := models[model]; !ok {
		return fmt.Errorf("-capability must be live-video-to-video/streamdiffusion or live-video-to-video/streamdiffusion-sdxl, got %q", *capability)
	}
	p, err := pf.build(model)
	if err != nil {
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
		return fmt.Errorf("bad -size %q (want WxH)", *size)
	}
	msgs, result := io.Writer(&syncWriter{w: stderr}), stdout
	var video io.Writer
	if *output == "-" {
		video, result = stdout, msgs
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
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{Orchestrators: 1}}, msgs)
	if err != nil {
		return err
	}
	defer env.Close()

	start, err := p.MarshalJSON()
	if err != nil {
		return err
	}
	fmt.Fprintf(msgs, "starting %s with %s\n", *capability, start)
	sess, err := env.Gateway.Live(ctx, *capability, p) // streamdiffusion.Params marshals to ai-runner's JSON
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(msgs, "session %s on %s\n", sess.Info().ManifestID, sess.Info().Orchestrator)
	evCtx, stopEvents := context.WithCancel(ctx)
	evDone := make(chan struct{})
	go func() { defer close(evDone); reportPipelineErrors(evCtx, sess, msgs) }()
	defer func() { stopEvents(); <-evDone }()

	cw := media.NewContinuousWriter(video, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- media.WriteSegments(ctx, cw, sess.Subscribe(ctx)) }()

	pubCtx, stopPub := context.WithCancel(ctx)
	defer stopPub()
	pubDone := make(chan error, 1)
	var sent atomic.Int64
	go func() { pubDone <- publish(pubCtx, sess, w, h, *dur, &sent) }()
	began := time.Now()
	stopProgress := exampleutil.Progress(msgs, 5*time.Second, func() string {
		return fmt.Sprintf("%s of %s sent (%d segments); type a prompt and Enter to change it", time.Since(began).Round(time.Second), *dur, sent.Load())
	})
	defer stopProgress()

	// Stdin is read on its own goroutine, which a terminal's blocking read
	// may keep until the process exits; lines stop being taken at the end.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-pubCtx.Done():
				return
			}
		}
	}()
	var perr error
loop:
	for {
		select {
		case perr = <-pubDone:
			stopProgress()
			break loop
		case line := <-lines:
			next, changes, err := change(p, line)
			if err != nil {
				fmt.Fprintln(msgs, "not sent:", err)
				continue
			}
			switch changes.Effect() {
			case 0:
				continue
			case streamdiffusion.Rejected:
				fmt.Fprintf(msgs, "not sent: ai-runner refuses a change of %s mid-stream (the output size is fixed when the stream starts)\n", describe(changes, streamdiffusion.Rejected))
				continue
			case streamdiffusion.Reload:
				fmt.Fprintf(msgs, "warning: changing %s reloads the pipeline: the output pauses while it reloads\n", describe(changes, streamdiffusion.Reload))
			}
			b, err := next.MarshalJSON()
			if err != nil {
				return err
			}
			if err := sess.Update(ctx, next); err != nil { // the whole set, not just the change
				stopPub()
				<-pubDone
				return fmt.Errorf("control message: %w", err)
			}
			p = next
			fmt.Fprintf(msgs, "sent %s (%s)\n", b, changes.Effect())
		}
	}
	if perr != nil {
		return perr
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
	fmt.Fprintf(result, "wrote %d frames to %s\n", st.VideoFrames, *output)
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}

// reportPipelineErrors prints each new error the pipeline reports in its
// status events: ai-runner's {"type":"status", "inference_status":
// {"last_error", "last_error_time"}} (runner/src/runner/live/process/status.py
// at 50a742c), for example an update it refused mid-stream or a reload that
// failed. It returns when the events end or ctx is done.
func reportPipelineErrors(ctx context.Context, sess *livepeer.LiveSession, w io.Writer) {
	var last int64
	for ev, err := range sess.Events(ctx) {
		if err != nil {
			return
		}
		if ev.Type != "status" {
			continue
		}
		var st struct {
			Inference struct {
				LastError     string `json:"last_error"`
				LastErrorTime int64  `json:"last_error_time"`
			} `json:"inference_status"`
		}
		if ev.JSON(&st) != nil || st.Inference.LastError == "" || st.Inference.LastErrorTime == last {
			continue
		}
		last = st.Inference.LastErrorTime
		fmt.Fprintln(w, "pipeline error:", st.Inference.LastError)
	}
}

// syncWriter serialises writes from the goroutines that report progress.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// publish sends a real-time test pattern for d, counting segments in sent,
// then ends the input.
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
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("publish: %w", err)
	}
	return sess.EndInput(ctx)
}
