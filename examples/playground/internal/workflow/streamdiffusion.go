package workflow

// StreamDiffusion is the live-video-to-video StreamDiffusion workflow, with
// ai-runner's parameter names, types and ranges
// (live/streamdiffusion/pipeline/params.py StreamDiffusionParams). The
// schema sets no bound on guidance_scale and delta; the ranges here are the
// StreamDiffusion demo's sliders (0.1–3.0, step 0.01).
//
// A control message replaces the worker's whole parameter set (fields left
// out fall back to the class defaults, which would switch an SDXL container
// back to sd-turbo), so each model carries its full set, model_id included,
// and the server always sends all of it.
func StreamDiffusion() *Workflow {
	common := func(modelID string, tIndex []int64) map[string]any {
		return map[string]any{
			"model_id":            modelID,
			"prompt":              "flowers",
			"negative_prompt":     "blurry, low quality, flat, 2d",
			"guidance_scale":      1.0,
			"delta":               0.7,
			"num_inference_steps": int64(50),
			"t_index_list":        tIndex,
			"seed":                int64(789),
			"width":               int64(512),
			"height":              int64(512),
		}
	}
	return &Workflow{
		Slug:       "daydreamlive/streamdiffusion",
		Title:      "StreamDiffusion",
		Summary:    "Real-time image-to-image diffusion on your camera: type a prompt, see your video restyled live.",
		Simulated:  "On the simulated network this is an ffmpeg colour filter chosen by the prompt's words (ocean → blue, sunset → warm, sketch → edges, noir → black and white…) with the prompt drawn on the video: it shows the path your video and payments take, not a diffusion model.",
		Capability: "live-video-to-video",
		Models: []Model{
			{ID: "streamdiffusion", Label: "SD-Turbo (stabilityai/sd-turbo)", Defaults: common("stabilityai/sd-turbo", []int64{12, 20, 32})},
			{ID: "streamdiffusion-sdxl", Label: "SDXL-Turbo (stabilityai/sdxl-turbo)", Defaults: common("stabilityai/sdxl-turbo", []int64{36})},
		},
		Params: []Param{
			{Name: "prompt", Label: "Prompt", Type: Textarea, MaxLen: 2000, Help: "What the video should look like."},
			{Name: "negative_prompt", Label: "Avoid", Type: Textarea, MaxLen: 2000, Help: "What to steer away from (negative prompt)."},
			{Name: "guidance_scale", Label: "Prompt strength", Type: Float, Min: 0.1, Max: 3, HasMin: true, HasMax: true, Step: 0.01, Widget: Slider, Help: "How strongly the prompt is followed (guidance_scale)."},
			{Name: "delta", Label: "Noise blend", Type: Float, Min: 0.1, Max: 3, HasMin: true, HasMax: true, Step: 0.01, Widget: Slider, Help: "How much residual noise is blended in (delta)."},
			{Name: "num_inference_steps", Label: "Schedule length", Type: Int, Min: 1, Max: 100, HasMin: true, HasMax: true, Step: 1, Widget: Slider, Help: "Length of the denoising schedule the steps below index into (num_inference_steps)."},
			{Name: "t_index_list", Label: "Denoising steps used", Type: IntList, Min: 0, Max: 99, HasMin: true, HasMax: true, MinItems: 1, MaxItems: 4, NonDecreasing: true, ItemsBelow: "num_inference_steps", Widget: Steps, Help: "Which schedule steps run: 1 to 4, in order, each below the schedule length (t_index_list). Fewer is faster; later steps stay closer to the camera."},
			{Name: "seed", Label: "Seed", Type: Int, Min: 0, Max: 2147483647, HasMin: true, HasMax: true, Step: 1, Widget: Number, Help: "The same seed gives the same look."},
		},
		ControlDebounceMS: 300,
	}
}

// Registry lists the workflows the playground serves, by slug.
type Registry struct {
	list []*Workflow
}

// NewRegistry returns a registry of ws (in display order).
func NewRegistry(ws ...*Workflow) *Registry { return &Registry{list: ws} }

// Default is the playground's registry: StreamDiffusion.
func Default() *Registry { return NewRegistry(StreamDiffusion()) }

// All returns the workflows in display order.
func (r *Registry) All() []*Workflow { return r.list }

// Get returns the workflow with this slug.
func (r *Registry) Get(slug string) (*Workflow, bool) {
	for _, w := range r.list {
		if w.Slug == slug {
			return w, true
		}
	}
	return nil, false
}
