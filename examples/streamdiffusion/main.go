// Command streamdiffusion runs a StreamDiffusion live-video-to-video
// session with its parameters on flags (ai-runner's names), changes the
// prompt live from stdin, and writes the output to a .ts file or stdout.
//
//	go run ./examples/streamdiffusion -o out.ts                    # in-process network
//	go run ./examples/streamdiffusion -prompt "a cat" -seed 42 -o - | ffplay -
//	go run ./examples/streamdiffusion -token "$LIVEPEER_TOKEN" -model streamdiffusion-sdxl -o - | ffplay -
//
// Each line typed on stdin is a new prompt; a line that is a JSON object
// ({"seed": 7, "guidance_scale": 1.5}) changes those fields instead. Every
// change goes out as one control message carrying the full parameter set,
// model_id included: ai-runner treats a control message as a full
// replacement, so a partial one would reset the other fields (and a missing
// model_id would reload the model). Values are checked first, and a bad one
// is reported with the field and its range.
//
// The input is an ffmpeg test pattern for -d. With no orchestrator source
// (no -token, -signer, -discovery or address arguments) it starts the SDK's
// in-process Livepeer network (livepeertest), where the prompt picks a hue
// rotation of the video. It needs ffmpeg in PATH and exits non-zero with a
// one-line error on failure. Progress messages go to stdout, or to stderr
// with -o -.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
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
	fs := flag.NewFlagSet("streamdiffusion", flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.String("token", "", "gateway token (default, with no -signer/-discovery/address: an in-process network)")
	signerURL := fs.String("signer", "", "remote signer URL")
	discoveryURL := fs.String("discovery", "", "discovery endpoint URL")
	model := fs.String("model", "streamdiffusion", "model: streamdiffusion (sd-turbo) or streamdiffusion-sdxl (sdxl-turbo)")
	var p Params
	fs.StringVar(&p.Prompt, "prompt", "flowers", "prompt")
	fs.StringVar(&p.NegativePrompt, "negative_prompt", "blurry, low quality, flat, 2d", "negative prompt")
	fs.Float64Var(&p.GuidanceScale, "guidance_scale", 1.0, "guidance scale, 0.1–3")
	fs.Float64Var(&p.Delta, "delta", 0.7, "delta, 0.1–3")
	fs.IntVar(&p.NumInferenceSteps, "num_inference_steps", 50, "number of inference steps, 1–100")
	tIndex := fs.String("t_index_list", "", "denoising steps used, 1–4 non-decreasing values in 0..num_inference_steps (default: 12,20,32; sdxl 36)")
	fs.Int64Var(&p.Seed, "seed", 789, "seed")
	output := fs.String("o", "out.ts", `output MPEG-TS file, or "-" for stdout`)
	dur := fs.Duration("d", 30*time.Second, "test pattern duration")
	size := fs.String("size", "320x180", "test pattern size WxH")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: streamdiffusion [flags] [orchestrator address ...]\n\nStdin: one prompt per line, or a JSON object of fields to change.\nWith no -token, -signer, -discovery or address it runs on an in-process network.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	m, ok := models[*model]
	if !ok {
		return fmt.Errorf("-model must be streamdiffusion or streamdiffusion-sdxl, got %q", *model)
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
	msgs := stdout
	var video io.Writer
	if *output == "-" {
		video, msgs = stdout, stderr
	} else {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		video = f
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
		fmt.Fprintln(msgs, "using an in-process network")
		cfg = livepeer.Config{Token: net.Token()}
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		return err
	}
	defer gw.Close()

	start, err := toMap(p)
	if err != nil {
		return err
	}
	sess, err := gw.Live(ctx, "live-video-to-video/"+*model, livepeer.LiveOptions{Params: start})
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
	go func() { pubDone <- publish(pubCtx, sess, w, h, *dur) }()

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
	fmt.Fprintf(msgs, "wrote %d frames to %s\n", st.VideoFrames, *output)
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
		return nil, fmt.Errorf("model_id cannot change during a stream (start a new one with -model)")
	}
	if err := next.validate(); err != nil {
		return nil, err
	}
	return &next, nil
}

// toMap turns the parameter set into LiveOptions.Params.
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

// publish sends a real-time test pattern for d, then ends the input.
func publish(ctx context.Context, sess *livepeer.LiveSession, w, h int, d time.Duration) error {
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: w, Height: h, Duration: d,
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
