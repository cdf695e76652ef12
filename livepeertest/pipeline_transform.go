package livepeertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/media"
)

// TransformConfig configures [Transform].
type TransformConfig struct {
	// FFmpeg locates the ffmpeg binary.
	FFmpeg media.FFmpegOptions
	// Encode sets the re-encoder (x264 ultrafast, zerolatency by default).
	Encode media.EncodeOptions
	// NoCaption turns off the caption drawn on prompt-driven output.
	NoCaption bool
}

// Transform returns a [Pipeline] that really processes the video: one
// long-lived ffmpeg process per parameter set decodes the input, applies a
// visible filter and re-encodes H.264, and the output is cut back into
// segments at the input's keyframes. The stream's parameters choose the
// filter and may change live through control messages (each message is
// merged into the current parameters; a change applies from the next input
// segment, which starts on a keyframe):
//
//	{"effect": "negate"}          invert every pixel (the default)
//	{"effect": "hue", "hue": 90}  rotate the hue by 90 degrees
//	{"effect": "none"}            re-encode unchanged
//	{"prompt": "a cat"}           StreamDiffusion-style (unless "effect" is
//	                              given): the prompt's first keyword picks a
//	                              colour effect (see [LookFor]: "sunset" warm,
//	                              "ocean" cool, "sketch" edges...; else a hue
//	                              rotation derived from the prompt), and the
//	                              prompt is drawn on the frame
//
// The caption ("simulated StreamDiffusion · <effect>" over the prompt) is
// drawn with ffmpeg's drawtext when this ffmpeg has it and a font (checked
// once per stream); without them the colour effect alone follows the
// prompt. Each change is answered with a "params_update" event carrying the
// filter in use. Transform needs ffmpeg in PATH (or
// TransformConfig.FFmpeg.Path).
func Transform(opts TransformConfig) Pipeline {
	return &transform{opts: opts}
}

type transform struct{ opts TransformConfig }

// filterFor derives the ffmpeg filter graph from stream parameters. Only
// fixed filter names and formatted numbers reach ffmpeg, never caller text.
func filterFor(p map[string]any) (string, error) {
	effect, _ := p["effect"].(string)
	if effect == "" {
		if prompt, ok := p["prompt"]; ok {
			return LookFor(prompt).Filter, nil
		}
		effect = "negate"
	}
	switch effect {
	case "negate":
		return "negate", nil
	case "none", "passthrough":
		return "", nil
	case "hue":
		h, err := paramNumber(p["hue"], 90)
		if err != nil {
			return "", fmt.Errorf("hue: %w", err)
		}
		return "hue=h=" + strconv.FormatFloat(math.Mod(h, 360), 'f', 1, 64), nil
	}
	return "", fmt.Errorf("unknown effect %q (negate, hue, none)", effect)
}

// captionFor is the text drawn over prompt-driven output ("" for none).
func captionFor(p map[string]any) string {
	if e, _ := p["effect"].(string); e != "" {
		return ""
	}
	prompt, ok := p["prompt"]
	if !ok {
		return ""
	}
	return caption(LookFor(prompt), promptText(prompt))
}

func paramNumber(v any, def float64) (float64, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case float64:
		return x, nil
	case json.Number:
		return x.Float64()
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

func (t *transform) Run(ctx context.Context, s *PipelineStream) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	var (
		mu     sync.Mutex
		params = map[string]any{}
	)
	for k, v := range s.Params {
		params[k] = v
	}
	want, err := filterFor(params)
	if err != nil {
		_ = s.Emit(ctx, pipeErrorEvent(s, err))
		return err
	}
	wantCaption := captionFor(params)
	// Captions are written to files in a directory of the stream's own
	// (the prompt reaches ffmpeg only through them), made and checked when
	// the first caption is due: "" when captions are off or cannot be drawn.
	var madeDir string
	defer func() {
		if madeDir != "" {
			_ = os.RemoveAll(madeDir)
		}
	}()
	captionDir := sync.OnceValue(func() string {
		if t.opts.NoCaption {
			return ""
		}
		dir, err := os.MkdirTemp("", "livepeertest-caption-")
		if err != nil {
			return ""
		}
		madeDir = dir
		if !drawtextWorks(ctx, t.opts.FFmpeg, dir) {
			return ""
		}
		return dir
	})
	// apply merges one control message into the parameters; a message that
	// names an invalid filter leaves them unchanged.
	apply := func(m map[string]any) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		next := make(map[string]any, len(params)+len(m))
		for k, v := range params {
			next[k] = v
		}
		for k, v := range m {
			next[k] = v
		}
		f, err := filterFor(next)
		if err != nil {
			return want, err
		}
		params, want, wantCaption = next, f, captionFor(next)
		return f, nil
	}
	wanted := func() (string, string) {
		mu.Lock()
		defer mu.Unlock()
		return want, wantCaption
	}

	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-s.Control():
				if !ok {
					return
				}
				if f, err := apply(m); err != nil {
					_ = s.Emit(ctx, pipeErrorEvent(s, err))
				} else {
					_ = s.Emit(ctx, map[string]any{"type": "params_update", "stream_id": s.ID, "params": m, "filter": f})
				}
			}
		}
	})

	procs := make(chan *media.Process, 4)
	outErr := make(chan error, 1)
	wg.Go(func() {
		outErr <- t.outputLoop(ctx, s, procs)
		cancel()
	})
	gen := 0
	start := func(filter, text string) (*media.Process, error) {
		if text != "" && captionDir() != "" {
			gen++
			overlay, err := textOverlay(captionDir(), gen, text)
			if err != nil {
				return nil, err
			}
			if overlay != "" {
				if filter != "" {
					filter += ","
				}
				filter += overlay
			}
		}
		p, err := media.StartFilter(ctx, media.FilterOptions{Video: filter, Encode: t.opts.Encode, FFmpeg: t.opts.FFmpeg})
		if err != nil {
			return nil, err
		}
		procs <- p
		return p, nil
	}

	filter, text := wanted()
	_ = s.Emit(ctx, pipeStatusEvent(s, "running", map[string]any{"filter": filter}))
	// ffmpeg starts with the first input segment, so a change that arrives
	// before any input never leaves an ffmpeg generation without input.
	var proc *media.Process
	inErr := func() error {
		for {
			in, err := s.NextInput(ctx)
			if errors.Is(err, io.EOF) || errors.Is(err, ErrNoChannel) {
				return nil
			}
			if err != nil {
				return err
			}
			if f, c := wanted(); proc == nil || f != filter || c != text {
				// Each input segment starts on a keyframe: switch here.
				if proc != nil {
					_ = proc.CloseWrite()
				}
				if proc, err = start(f, c); err != nil {
					in.Close()
					return err
				}
				filter, text = f, c
			}
			_, err = io.Copy(proc, in)
			in.Close()
			if err != nil {
				return fmt.Errorf("livepeertest: feed ffmpeg: %w", err)
			}
		}
	}()
	if proc != nil {
		_ = proc.CloseWrite()
	}
	close(procs)
	oerr := <-outErr
	if inErr != nil && !errors.Is(inErr, context.Canceled) {
		return inErr
	}
	if oerr != nil {
		return oerr
	}
	return inErr
}

func pipeErrorEvent(s *PipelineStream, err error) map[string]any {
	return map[string]any{"type": "error", "stream_id": s.ID, "message": err.Error()}
}

// outputLoop cuts each ffmpeg generation's output into segments, in order,
// on one timeline so timestamps stay monotonic across filter changes.
func (t *transform) outputLoop(ctx context.Context, s *PipelineStream, procs <-chan *media.Process) error {
	tl := media.NewTimeline()
	sink := media.SinkFunc(s.NextOutput)
	var first error
	for p := range procs {
		if first == nil {
			_, err := media.Resegment(ctx, p, sink, media.ResegmentOptions{Segmenter: media.SegmenterOptions{Timeline: tl}})
			if err == nil {
				if werr := p.Wait(); werr != nil && ctx.Err() == nil {
					err = werr
				}
			}
			if err != nil && ctx.Err() == nil {
				first = err
			}
		}
		p.Close()
	}
	return first
}
