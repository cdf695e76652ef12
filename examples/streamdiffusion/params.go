package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Params is the StreamDiffusion parameter set this example controls, with
// ai-runner's field names (live/streamdiffusion/pipeline/params.py). ai-runner
// treats every control message as a full replacement (missing fields fall
// back to class defaults, which may reload the model), so the whole set,
// model_id included, goes out every time.
type Params struct {
	ModelID           string  `json:"model_id"`
	Prompt            string  `json:"prompt"`
	NegativePrompt    string  `json:"negative_prompt"`
	GuidanceScale     float64 `json:"guidance_scale"`
	Delta             float64 `json:"delta"`
	NumInferenceSteps int     `json:"num_inference_steps"`
	TIndexList        []int   `json:"t_index_list"`
	Seed              int64   `json:"seed"`
}

// models maps the live-video-to-video model (the ai-runner image) to the
// base model it runs and its default t_index_list.
var models = map[string]struct {
	modelID string
	tIndex  []int
}{
	"streamdiffusion":      {"stabilityai/sd-turbo", []int{12, 20, 32}},
	"streamdiffusion-sdxl": {"stabilityai/sdxl-turbo", []int{36}},
}

// validate checks p with ai-runner's rules (num_inference_steps 1–100;
// t_index_list 1–4 non-decreasing values in 0..num_inference_steps) and the
// StreamDiffusion demo's slider ranges where the schema sets no bound
// (guidance_scale and delta 0.1–3). Errors name the field and its range.
func (p *Params) validate() error {
	if strings.TrimSpace(p.Prompt) == "" {
		return fmt.Errorf("prompt must not be empty")
	}
	if p.GuidanceScale < 0.1 || p.GuidanceScale > 3 {
		return fmt.Errorf("guidance_scale must be between 0.1 and 3, got %g", p.GuidanceScale)
	}
	if p.Delta < 0.1 || p.Delta > 3 {
		return fmt.Errorf("delta must be between 0.1 and 3, got %g", p.Delta)
	}
	if p.NumInferenceSteps < 1 || p.NumInferenceSteps > 100 {
		return fmt.Errorf("num_inference_steps must be between 1 and 100, got %d", p.NumInferenceSteps)
	}
	if n := len(p.TIndexList); n < 1 || n > 4 {
		return fmt.Errorf("t_index_list must have between 1 and 4 values, got %d", n)
	}
	for i, v := range p.TIndexList {
		if v < 0 || v > p.NumInferenceSteps {
			return fmt.Errorf("t_index_list values must be between 0 and num_inference_steps (%d), got %d at index %d", p.NumInferenceSteps, v, i)
		}
		if i > 0 && v < p.TIndexList[i-1] {
			return fmt.Errorf("t_index_list must be non-decreasing, got %d after %d at index %d", v, p.TIndexList[i-1], i)
		}
	}
	return nil
}

// parseIntList parses "12,20,32".
func parseIntList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("t_index_list must be comma-separated integers, got %q", s)
		}
		out = append(out, v)
	}
	return out, nil
}
