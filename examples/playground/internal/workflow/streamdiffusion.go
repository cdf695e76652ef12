package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

// StreamDiffusion is the live-video-to-video StreamDiffusion workflow. Its
// parameters are ai-runner's, through package streamdiffusion (ai-runner
// 50a742c params.py): the names, the model ids, the defaults, the
// ranges ai-runner sets, the validation of every submitted set
// (Params.Validate) and whether a change applies live or reloads the
// pipeline (streamdiffusion.Diff) all come from there. The card narrows a
// few ranges for a usable form, never widening one (TestCardAgreesWithStreamDiffusion):
//
//   - guidance_scale and delta: ai-runner sets no bound; the sliders are the
//     StreamDiffusion demo's, 0.1–3.0 in steps of 0.01;
//   - t_index_list: ai-runner allows values up to num_inference_steps
//     inclusive; the card keeps them below it, since a step index equal to
//     the schedule's length is past its last step;
//   - seed: 0 to 2^31−1 (ai-runner: any integer);
//   - prompts: at most 2000 characters.
//
// A control message replaces the worker's whole parameter set (fields left
// out fall back to the class defaults, which would switch an SDXL container
// back to sd-turbo), so each model carries its full set, model_id included,
// and the server always sends all of it.
func StreamDiffusion() *Workflow {
	common := func(modelID streamdiffusion.ModelID, tIndex []int) map[string]any {
		d := streamdiffusion.Params{ModelID: modelID, TIndexList: tIndex}.WithDefaults()
		text, _ := d.Prompt.Text()
		seed, _ := d.Seed.Value()
		return map[string]any{
			"model_id":                    string(d.ModelID),
			"prompt":                      text,
			"negative_prompt":             d.NegativePrompt.Or(""),
			"guidance_scale":              d.GuidanceScale.Or(0),
			"delta":                       d.Delta.Or(0),
			"num_inference_steps":         int64(d.NumInferenceSteps.Or(0)),
			"t_index_list":                int64s(d.TIndexList),
			"seed":                        seed,
			"width":                       int64(d.Width.Or(0)),
			"height":                      int64(d.Height.Or(0)),
			"enable_similar_image_filter": d.EnableSimilarImageFilter.Or(false),
		}
	}
	w := &Workflow{
		Slug:       "daydreamlive/streamdiffusion",
		Title:      "StreamDiffusion",
		Summary:    "Real-time image-to-image diffusion on your camera: type a prompt, see your video restyled live.",
		Simulated:  "On the simulated network this is an ffmpeg colour filter chosen by the prompt's words (ocean → blue, sunset → warm, sketch → edges, noir → black and white…) with the prompt drawn on the video: it shows the path your video and payments take, not a diffusion model.",
		Capability: "live-video-to-video",
		Models: []Model{
			{ID: "streamdiffusion", Label: "SD-Turbo (stabilityai/sd-turbo)", Defaults: common(streamdiffusion.SDTurbo, nil)},
			// ai-runner's SDXL image starts with t_index_list [36]
			// (live/streamdiffusion/default_params/sdxl.json at 50a742c), not
			// params.py's [12, 20, 32].
			{ID: "streamdiffusion-sdxl", Label: "SDXL-Turbo (stabilityai/sdxl-turbo)", Defaults: common(streamdiffusion.SDXLTurbo, []int{36})},
		},
		Params: []Param{
			{Name: "prompt", Label: "Prompt", Type: Textarea, MaxLen: 2000, Help: "What the video should look like."},
			{Name: "negative_prompt", Label: "Avoid", Type: Textarea, MaxLen: 2000, Help: "What to steer away from (negative prompt)."},
			{Name: "guidance_scale", Label: "Prompt strength", Type: Float, Min: 0.1, Max: 3, HasMin: true, HasMax: true, Step: 0.01, Widget: Slider, Help: "How strongly the prompt is followed (guidance_scale)."},
			{Name: "delta", Label: "Noise blend", Type: Float, Min: 0.1, Max: 3, HasMin: true, HasMax: true, Step: 0.01, Widget: Slider, Help: "How much residual noise is blended in (delta)."},
			{Name: "num_inference_steps", Label: "Schedule length", Type: Int, Min: streamdiffusion.MinNumInferenceSteps, Max: streamdiffusion.MaxNumInferenceSteps, HasMin: true, HasMax: true, Step: 1, Widget: Slider,
				Help: "Length of the denoising schedule the steps below index into (num_inference_steps)."},
			{Name: "t_index_list", Label: "Denoising steps used", Type: IntList, Min: 0, Max: streamdiffusion.MaxNumInferenceSteps - 1, HasMin: true, HasMax: true,
				MinItems: streamdiffusion.MinTIndexList, MaxItems: streamdiffusion.MaxTIndexList, NonDecreasing: true, ItemsBelow: "num_inference_steps", Widget: Steps,
				Help: fmt.Sprintf("Which schedule steps run: %d to %d, in order, each below the schedule length (t_index_list). Fewer is faster; later steps stay closer to the camera.", streamdiffusion.MinTIndexList, streamdiffusion.MaxTIndexList)},
			{Name: "seed", Label: "Seed", Type: Int, Min: 0, Max: 2147483647, HasMin: true, HasMax: true, Step: 1, Widget: Number, Help: "The same seed gives the same look."},
			{Name: "enable_similar_image_filter", Label: "Skip similar frames", Type: Bool,
				Help: "Skips generating frames too like the last one, saving work when the camera is still (enable_similar_image_filter)."},
		},
		ControlDebounceMS: 300,
		Typed:             sdModel{},
	}
	for i := range w.Params {
		w.Params[i].Effect = effectOf(w, &w.Params[i])
	}
	return w
}

// effectOf is what changing p during a run does, by streamdiffusion.Diff:
// the default model's set against the same set with p changed to another
// value the card offers. "" when that cannot be told.
func effectOf(w *Workflow, p *Param) Effect {
	def := w.Models[0].Copy()
	next := w.Models[0].Copy()
	switch v := def[p.Name].(type) {
	case string:
		next[p.Name] = v + " (changed)"
	case bool:
		next[p.Name] = !v
	case float64:
		next[p.Name] = otherBound(p, v)
	case int64:
		next[p.Name] = int64(otherBound(p, float64(v)))
	case []int64:
		next[p.Name] = []int64{int64(otherBound(p, float64(v[0])))}
	default:
		return ""
	}
	e, _, err := sdModel{}.Change(def, next)
	if err != nil {
		return ""
	}
	return e
}

// otherBound returns a bound of p that differs from v.
func otherBound(p *Param, v float64) float64 {
	if v != p.Min {
		return p.Min
	}
	return p.Max
}

func int64s(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

// sdModel is StreamDiffusion's ParamModel: package streamdiffusion.
type sdModel struct{}

// toParams decodes a parameter set into streamdiffusion.Params, as
// strictly as ai-runner reads it.
func toParams(params map[string]any) (streamdiffusion.Params, error) {
	var p streamdiffusion.Params
	b, err := json.Marshal(params)
	if err != nil {
		return p, &FieldError{Field: "params", Reason: err.Error()}
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fieldError(err)
	}
	return p, nil
}

// fieldError turns streamdiffusion's *FieldError into the form's: the
// parameter to highlight (the top-level name), the value's path, and the
// package's words for the value and what is allowed.
func fieldError(err error) error {
	var fe *streamdiffusion.FieldError
	if !errors.As(err, &fe) {
		return &FieldError{Field: "params", Reason: err.Error()}
	}
	top := fe.Field
	if i := strings.IndexAny(top, ".["); i > 0 {
		top = top[:i]
	}
	out := &FieldError{Field: top, Reason: strings.TrimPrefix(fe.Error(), "streamdiffusion: "+fe.Field+": ")}
	if top != fe.Field {
		out.Path = fe.Field
	}
	return out
}

// Check validates params with streamdiffusion's Params.Validate (ai-runner's
// rules); the first error is returned, with the field and the range.
func (sdModel) Check(params map[string]any) error {
	p, err := toParams(params)
	if err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return fieldError(err)
	}
	return nil
}

// Change is streamdiffusion.Diff of the two sets: the overall effect and
// the parameters that have it.
func (sdModel) Change(old, new map[string]any) (Effect, []string, error) {
	o, err := toParams(old)
	if err != nil {
		return "", nil, err
	}
	n, err := toParams(new)
	if err != nil {
		return "", nil, err
	}
	ch := streamdiffusion.Diff(o, n)
	e := ch.Effect()
	var fields []string
	for _, c := range ch {
		if c.Effect == e {
			fields = append(fields, c.Field)
		}
	}
	switch e {
	case streamdiffusion.Live:
		return Live, fields, nil
	case streamdiffusion.Reload:
		return Reload, fields, nil
	case streamdiffusion.Rejected:
		return Rejected, fields, nil
	}
	return "", nil, nil
}

// Go writes params as a streamdiffusion.Params literal, validated before
// the session starts; the change midway sets a new prompt and says when it
// reloads the pipeline.
func (sdModel) Go(params map[string]any, prompt2 string) (GoParams, error) {
	p, err := toParams(params)
	if err != nil {
		return GoParams{}, err
	}
	lit, err := goParamsLiteral(p)
	if err != nil {
		return GoParams{}, err
	}
	return GoParams{
		Imports: []string{"github.com/livepeer/livepeer-go-gateway/streamdiffusion"},
		Value:   lit,
		Check: `if err := params.Validate(); err != nil {
	log.Fatal(err) // names the field, the value and what is allowed
}`,
		Next: fmt.Sprintf(`next := params
next.Prompt = streamdiffusion.PromptText(%q)
if streamdiffusion.Reloads(params, next) {
	log.Println("this change reloads the pipeline: the output pauses")
}`, prompt2),
	}, nil
}
