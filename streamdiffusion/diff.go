package streamdiffusion

import (
	"encoding/json"
	"reflect"
	"slices"
)

// Effect is what ai-runner does with a changed field of a running session.
type Effect int

const (
	// Live: applied to the running pipeline (update_stream_params).
	Live Effect = iota + 1
	// Reload: the pipeline is rebuilt with the new parameters; output pauses.
	Reload
	// Rejected: the update is refused (output size cannot change mid-stream)
	// and none of it applies.
	Rejected
)

// String returns "live", "reload" or "rejected".
func (e Effect) String() string {
	switch e {
	case Live:
		return "live"
	case Reload:
		return "reload"
	case Rejected:
		return "rejected"
	}
	return "none"
}

// Change is one changed field.
type Change struct {
	// Field is the JSON field, e.g. "prompt", "ip_adapter.type", "controlnets".
	Field  string
	Effect Effect
	// Reason says why, citing ai-runner.
	Reason string
}

// Changes are the changed fields of an update.
type Changes []Change

// Effect is the update's effect as a whole: the most severe of its changes
// (Rejected over Reload over Live), or 0 when nothing changed.
func (c Changes) Effect() Effect {
	var e Effect
	for _, ch := range c {
		e = max(e, ch.Effect)
	}
	return e
}

// Reloads reports whether the update reloads the pipeline (and is not
// rejected).
func (c Changes) Reloads() bool { return c.Effect() == Reload }

// Reloads reports whether changing a running session's parameters from old
// to new reloads ai-runner's pipeline; see [Diff].
func Reloads(old, new Params) bool { return Diff(old, new).Reloads() }

// liveFields are the top-level fields pipeline.py _update_params_dynamic
// applies at runtime (updatable_params, ai-runner 50a742c).
var liveFields = []string{
	"num_inference_steps", "guidance_scale", "delta", "t_index_list",
	"prompt", "prompt_interpolation_method", "normalize_prompt_weights", "negative_prompt",
	"seed", "seed_interpolation_method", "normalize_seed_weights",
	"use_safety_checker", "safety_checker_threshold", "controlnets",
	"image_preprocessing", "image_postprocessing", "latent_preprocessing", "latent_postprocessing",
	"ip_adapter", "ip_adapter_style_image_url", "cached_attention",
}

// Diff compares two parameter sets as ai-runner does when the second
// replaces the first in a running session: both with defaults filled in
// (an unset field is its default), field by field, then classified by
// pipeline.py _update_params_dynamic and process.py's output-size check at
// ai-runner 50a742c. A nil result means ai-runner sees no change.
//
// ai-runner also reloads when a live update fails inside StreamDiffusion;
// Diff cannot foresee that.
func Diff(old, new Params) Changes {
	o, n := old.WithDefaults(), new.WithDefaults()
	var out Changes
	ov, nv := reflect.ValueOf(o), reflect.ValueOf(n)
	t := ov.Type()
	for i := range t.NumField() {
		name := jsonName(t.Field(i))
		if name == "" || sameJSON(ov.Field(i), nv.Field(i)) {
			continue
		}
		out = append(out, classify(name, o, n)...)
	}
	return out
}

// sizeReason is why an output size change is rejected.
const sizeReason = "process.py: the output resolution (width, height, upscale post-processors) cannot change mid-stream"

// classify returns the changes of one differing top-level field.
func classify(name string, o, n Params) Changes {
	switch name {
	case "width", "height":
		return Changes{{Field: name, Effect: Rejected, Reason: sizeReason}}
	case "image_postprocessing":
		// Does the new chain alone change the output size?
		post := o
		post.ImagePostprocessing = n.ImagePostprocessing
		ow, oh := outputSize(o)
		if pw, ph := outputSize(post); pw != ow || ph != oh {
			return Changes{{Field: name, Effect: Rejected, Reason: sizeReason}}
		}
	}
	if !slices.Contains(liveFields, name) {
		return Changes{{Field: name, Effect: Reload, Reason: "pipeline.py: not a runtime-updatable parameter"}}
	}
	switch name {
	case "ip_adapter":
		// Only enabled, scale and weight_type update live.
		a, b := *o.IPAdapter, *n.IPAdapter
		a.Enabled, a.Scale, a.WeightType = b.Enabled, b.Scale, b.WeightType
		if !sameJSON(reflect.ValueOf(a), reflect.ValueOf(b)) {
			return Changes{{Field: "ip_adapter", Effect: Reload, Reason: "pipeline.py: only ip_adapter.enabled, scale and weight_type update live"}}
		}
	case "cached_attention":
		if o.CachedAttention.Enabled.Or(true) != n.CachedAttention.Enabled.Or(true) {
			return Changes{{Field: "cached_attention.enabled", Effect: Reload, Reason: "pipeline.py: enabling or disabling cached attention reloads"}}
		}
	case "controlnets":
		if !onlyConditioningScale(o.ControlNets, n.ControlNets) {
			return Changes{{Field: "controlnets", Effect: Reload,
				Reason: "params.py ControlNetConfig: only conditioning_scale updates live; adding, removing or otherwise changing ControlNets needs a reload"}}
		}
	}
	return Changes{{Field: name, Effect: Live, Reason: "pipeline.py: updated at runtime"}}
}

// onlyConditioningScale reports whether two ControlNet lists differ in
// conditioning_scale only.
func onlyConditioningScale(a, b []ControlNet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x := a[i]
		x.ConditioningScale = b[i].ConditioningScale
		if !sameJSON(reflect.ValueOf(x), reflect.ValueOf(b[i])) {
			return false
		}
	}
	return true
}

// outputSize is params.py get_output_resolution: width and height, doubled
// by each enabled realesrgan_trt post-processor and scaled by each enabled
// upscale one (params scale_factor, default 2.0), when the chain is enabled.
func outputSize(p Params) (w, h int) {
	w, h = p.Width.Or(DefaultWidth), p.Height.Or(DefaultHeight)
	post, ok := p.ImagePostprocessing.Get()
	if !ok || !post.Enabled.Or(true) {
		return w, h
	}
	for _, pr := range post.Processors {
		if !pr.Enabled.Or(true) {
			continue
		}
		f := 0.0
		switch pr.Type {
		case ProcessorRealESRGANTRT:
			f = 2
		case ProcessorUpscale:
			f = 2
			var params struct {
				ScaleFactor *float64 `json:"scale_factor"`
			}
			if json.Unmarshal(pr.Params, &params) == nil && params.ScaleFactor != nil {
				f = *params.ScaleFactor
			}
		default:
			continue
		}
		w, h = int(float64(w)*f), int(float64(h)*f)
	}
	return w, h
}

// sameJSON compares two values as Python compares their model_dump(): by
// value, objects regardless of key order, 1 equal to 1.0.
func sameJSON(a, b reflect.Value) bool {
	var x, y any
	ea, eb := appendValue(nil, a), appendValue(nil, b)
	if json.Unmarshal(ea, &x) != nil || json.Unmarshal(eb, &y) != nil {
		return string(ea) == string(eb)
	}
	return reflect.DeepEqual(x, y)
}
