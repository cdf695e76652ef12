// Command streamdiffusion runs a StreamDiffusion live-video-to-video
// session with its parameters on flags (ai-runner's names in kebab-case:
// -guidance-scale sets guidance_scale), changes the prompt live from stdin,
// and writes the output to a .ts file or stdout.
//
//	go run ./examples/streamdiffusion -o out.ts                    # in-process network
//	go run ./examples/streamdiffusion -prompt "a cat" -seed 42 -o - | ffplay -
//	go run ./examples/streamdiffusion -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion-sdxl -o - | ffplay -
//
// Each line typed on stdin is a new prompt; a line that is a JSON object
// ({"seed": 7, "guidance_scale": 1.5}) changes those fields instead. Every
// change goes out as one control message carrying the full parameter set,
// model_id included: ai-runner treats a control message as a full
// replacement, so a partial one would reset the other fields (and a missing
// model_id would reload the model). Values are checked first, and a bad one
// is reported with the field and its range.
//
// The input is an ffmpeg test pattern for -duration. With no orchestrator source
// (no -token, -signer, -discovery or address arguments) it starts the SDK's
// in-process Livepeer network (livepeertest), where the prompt picks a hue
// rotation of the video. It needs ffmpeg in PATH and exits non-zero with a
// one-line error on failure. Progress goes to stderr, every 5 s while the
// input runs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
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
	var p Params
	fs.StringVar(&p.Prompt, "prompt", "flowers", "prompt")
	fs.StringVar(&p.NegativePrompt, "negative-prompt", "blurry, low quality, flat, 2d", "negative prompt")
	fs.Float64Var(&p.GuidanceScale, "guidance-scale", 1.0, "guidance scale, 0.1–3")
	fs.Float64Var(&p.Delta, "delta", 0.7, "delta, 0.1–3")
	fs.IntVar(&p.NumInferenceSteps, "num-inference-steps", 50, "number of inference steps, 1–100")
	tIndex := fs.String("t-index-list", "", "denoising steps used, 1–4 non-decreasing values in 0..num_inference_steps (default: 12,20,32; sdxl 36)")
	fs.Int64Var(&p.Seed, "seed", 789, "seed")
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
	m, ok := models[model]
	if !ok {
		return fmt.Errorf("-capability must be live-video-to-video/streamdiffusion or live-video-to-video/streamdiffusion-sdxl, got %q", *capability)
	}
	p.ModelID, p.TIndexList = m.modelID, slices.Clone(m.tIndex)
	if *tIndex != "" {
		var err error
		if p.TIndexList, err = parseIntList(*tIndex); err != nil {
			return err
		}
	}
	if err := p.validate(); err != nil {
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
		return fmt.Errorf("bad -size %q (want WxH)", *size)
	}
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
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{Orchestrators: 1}}, msgs)
	if err != nil {
		return err
	}
	defer env.Close()

	start, err := toMap(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(msgs, "starting %s…\n", *capability)
	sess, err := env.Gateway.Live(ctx, *capability, start)
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(msgs, "session %s on %s, prompt %q\n", sess.Info().ManifestID, sess.Info().Orchestrator, p.Prompt)

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
			next, err := change(p, line)
			if err != nil {
				fmt.Fprintln(msgs, "not sent:", err)
				continue
			}
			if next == nil {
				continue
			}
			b, _ := json.Marshal(next)
			if err := sess.Control(ctx, json.RawMessage(b)); err != nil {
				stopPub()
				<-pubDone
				return fmt.Errorf("control message: %w", err)
			}
			p = *next
			fmt.Fprintf(msgs, "sent %s\n", b)
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

// change applies one stdin line to p: a new prompt, or a JSON object of
// fields to change (model_id is start-only). It returns nil for a blank line.
func change(p Params, line string) (*Params, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, nil
	}
	next := p
	next.TIndexList = slices.Clone(p.TIndexList)
	if !strings.HasPrefix(line, "{") {
		next.Prompt = line
		return &next, nil
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&next); err != nil {
		return nil, fmt.Errorf("bad JSON line: %w", err)
	}
	if next.ModelID != p.ModelID {
		return nil, fmt.Errorf("model_id cannot change during a stream (start a new one with -capability)")
	}
	if err := next.validate(); err != nil {
		return nil, err
	}
	return &next, nil
}

// toMap turns the parameter set into Live's params.
func toMap(p Params) (map[string]any, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return m, d.Decode(&m)
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
