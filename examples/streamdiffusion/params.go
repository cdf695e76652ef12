package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

// models maps the live-video-to-video model (the ai-runner image) to the
// base model it runs by default and the t_index_list it starts with.
// ai-runner's image for SDXL starts with t_index_list [36]
// (live/streamdiffusion/default_params/sdxl.json at ai-runner 50a742c); the
// others with params.py's default, left unset here.
var models = map[string]struct {
	modelID streamdiffusion.ModelID
	tIndex  []int
}{
	"streamdiffusion":      {streamdiffusion.SDTurbo, nil},
	"streamdiffusion-sdxl": {streamdiffusion.SDXLTurbo, []int{36}},
}

// paramFlags registers the parameter flags on fs. Each flag given sets its
// field of p; a flag not given leaves the field unset, so ai-runner applies
// its default (shown in the flag's help). -params reads a whole parameter
// set from a JSON file first; the other flags then override its fields,
// whatever their order on the command line.
type paramFlags struct {
	file string
	sets []func(*streamdiffusion.Params) error
}

func (f *paramFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "params", "", "a JSON `file` with a StreamDiffusion parameter set (ai-runner's field names); the flags below override its fields")
	f.opt(fs, "model", fmt.Sprintf("model_id, an `id`: %s (default: by -capability)", strings.Join(modelNames(), ", ")), func(p *streamdiffusion.Params, s string) error {
		p.ModelID = streamdiffusion.ModelID(s)
		return nil
	})
	f.opt(fs, "prompt", fmt.Sprintf("prompt, a `text` (default %q)", streamdiffusion.DefaultPrompt), func(p *streamdiffusion.Params, s string) error {
		p.Prompt = streamdiffusion.PromptText(s)
		return nil
	})
	f.opt(fs, "negative-prompt", fmt.Sprintf("negative_prompt, a `text` (default %q)", streamdiffusion.DefaultNegativePrompt), func(p *streamdiffusion.Params, s string) error {
		p.NegativePrompt = streamdiffusion.String(s)
		return nil
	})
	f.float(fs, "guidance-scale", "guidance_scale, how strongly the prompt is followed", streamdiffusion.DefaultGuidanceScale, func(p *streamdiffusion.Params) *streamdiffusion.Opt[float64] { return &p.GuidanceScale })
	f.float(fs, "delta", "delta, per-frame denoising progress", streamdiffusion.DefaultDelta, func(p *streamdiffusion.Params) *streamdiffusion.Opt[float64] { return &p.Delta })
	f.int(fs, "num-inference-steps", "num_inference_steps, 1–100", streamdiffusion.DefaultNumInferenceSteps, func(p *streamdiffusion.Params) *streamdiffusion.Opt[int] { return &p.NumInferenceSteps })
	f.opt(fs, "t-index-list", "t_index_list, a `list` of 1–4 non-decreasing steps in 0..num_inference_steps, e.g. 12,20,32 (default: 12,20,32; 36 for streamdiffusion-sdxl)", func(p *streamdiffusion.Params, s string) error {
		l, err := parseIntList(s)
		p.TIndexList = l
		return err
	})
	f.opt(fs, "seed", fmt.Sprintf("seed, an `integer` (default %d)", streamdiffusion.DefaultSeed), func(p *streamdiffusion.Params, s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("want an integer")
		}
		p.Seed = streamdiffusion.SeedValue(v)
		return nil
	})
	f.int(fs, "width", "width of the output, 384–1024, a multiple of 64", streamdiffusion.DefaultWidth, func(p *streamdiffusion.Params) *streamdiffusion.Opt[int] { return &p.Width })
	f.int(fs, "height", "height of the output, 384–1024, a multiple of 64", streamdiffusion.DefaultHeight, func(p *streamdiffusion.Params) *streamdiffusion.Opt[int] { return &p.Height })
	f.opt(fs, "controlnet", "a `ControlNet`: MODEL_ID or MODEL_ID=CONDITIONING_SCALE (repeatable; the model type's ControlNets only)", func(p *streamdiffusion.Params, s string) error {
		id, scale, hasScale := strings.Cut(s, "=")
		c := streamdiffusion.ControlNet{ModelID: streamdiffusion.ControlNetModelID(id)}
		if hasScale {
			v, err := strconv.ParseFloat(scale, 64)
			if err != nil {
				return errors.New("want MODEL_ID=CONDITIONING_SCALE with a number")
			}
			c.ConditioningScale = streamdiffusion.Float(v)
		}
		p.ControlNets = append(p.ControlNets, c)
		return nil
	})
}

// opt registers a flag that records set(p, value) for build.
func (f *paramFlags) opt(fs *flag.FlagSet, name, usage string, set func(*streamdiffusion.Params, string) error) {
	fs.Func(name, usage, func(s string) error {
		// Check the value now, so that flag reports a bad one with its name.
		if err := set(&streamdiffusion.Params{}, s); err != nil {
			return err
		}
		f.sets = append(f.sets, func(p *streamdiffusion.Params) error { return set(p, s) })
		return nil
	})
}

func (f *paramFlags) float(fs *flag.FlagSet, name, usage string, def float64, field func(*streamdiffusion.Params) *streamdiffusion.Opt[float64]) {
	f.opt(fs, name, fmt.Sprintf("%s, a `number` (default %g)", usage, def), func(p *streamdiffusion.Params, s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("want a number")
		}
		*field(p) = streamdiffusion.Float(v)
		return nil
	})
}

func (f *paramFlags) int(fs *flag.FlagSet, name, usage string, def int, field func(*streamdiffusion.Params) *streamdiffusion.Opt[int]) {
	f.opt(fs, name, fmt.Sprintf("%s, an `integer` (default %d)", usage, def), func(p *streamdiffusion.Params, s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("want an integer")
		}
		*field(p) = streamdiffusion.Int(v)
		return nil
	})
}

// build returns the start parameters: the -params file (if any), the
// capability's model and t_index_list where neither set them, then the
// flags; validated by the streamdiffusion package (its errors name the
// field, the value and the range).
func (f *paramFlags) build(model string) (streamdiffusion.Params, error) {
	var p streamdiffusion.Params
	if f.file != "" {
		b, err := os.ReadFile(f.file)
		if err != nil {
			return p, err
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return p, fmt.Errorf("-params %s: %w", f.file, err)
		}
	}
	m := models[model]
	if p.ModelID == "" {
		p.ModelID = m.modelID
	}
	if p.TIndexList == nil && m.tIndex != nil {
		p.TIndexList = append([]int(nil), m.tIndex...)
	}
	for _, set := range f.sets {
		if err := set(&p); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}

func modelNames() []string {
	var out []string
	for _, m := range streamdiffusion.ModelIDs() {
		out = append(out, string(m))
	}
	return out
}

// change applies one stdin line to the current parameter set: a new
// prompt, or a JSON object of fields that replace those fields (ai-runner's
// names; the others are kept). It returns the whole new set, validated,
// and what the change does to a running pipeline (streamdiffusion.Diff).
// A blank line, or one that changes nothing, returns no changes.
func change(cur streamdiffusion.Params, line string) (streamdiffusion.Params, streamdiffusion.Changes, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return cur, nil, nil
	}
	next := cur
	if strings.HasPrefix(line, "{") {
		var err error
		if next, err = merge(cur, []byte(line)); err != nil {
			return cur, nil, err
		}
	} else {
		next.Prompt = streamdiffusion.PromptText(line)
	}
	if err := next.Validate(); err != nil {
		return cur, nil, err
	}
	return next, streamdiffusion.Diff(cur, next), nil
}

// merge replaces the top-level fields of cur that patch (a JSON object)
// names, and decodes the result as strictly as ai-runner does: an unknown
// field or a value of the wrong type is a *streamdiffusion.FieldError.
func merge(cur streamdiffusion.Params, patch []byte) (streamdiffusion.Params, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(patch, &fields); err != nil {
		return cur, fmt.Errorf("bad JSON line: %w", err)
	}
	b, err := cur.MarshalJSON()
	if err != nil {
		return cur, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return cur, err
	}
	for k, v := range fields {
		all[k] = v
	}
	// Keys in ai-runner's order come out of MarshalJSON below; the order
	// here does not matter.
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(all); err != nil {
		return cur, err
	}
	var next streamdiffusion.Params
	if err := json.Unmarshal(buf.Bytes(), &next); err != nil {
		return cur, err
	}
	return next, nil
}

// describe says what a change does, for the log: the fields that apply
// live, reload the pipeline, or are rejected.
func describe(ch streamdiffusion.Changes, e streamdiffusion.Effect) string {
	var names []string
	for _, c := range ch {
		if c.Effect == e {
			names = append(names, c.Field)
		}
	}
	return strings.Join(names, ", ")
}

// parseIntList parses "12,20,32".
func parseIntList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("want comma-separated integers, got %q", s)
		}
		out = append(out, v)
	}
	return out, nil
}
