package streamdiffusion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidParams matches every *FieldError and *ValidationError with
// errors.Is.
var ErrInvalidParams = errors.New("streamdiffusion: invalid params")

// FieldError is one value ai-runner would refuse: which field, the value,
// and what is allowed. Decoding returns it for a field of the wrong JSON
// type, an unknown field or a misplaced null; Validate for a value out of
// range, not among the choices, or inconsistent with another field.
type FieldError struct {
	// Field is the JSON path, e.g. "width", "controlnets[1].model_id",
	// "ip_adapter.enabled".
	Field string
	// Value is the value refused (nil for null or a missing value).
	Value any
	// Allowed says what ai-runner accepts, e.g. "384–1024, a multiple of 64"
	// or `one of "linear", "slerp"`.
	Allowed string
}

func (e *FieldError) Error() string {
	v := "null"
	if e.Value != nil {
		v = fmt.Sprintf("%v", e.Value)
		if s, ok := e.Value.(string); ok {
			v = strconv.Quote(s)
		}
	}
	return fmt.Sprintf("streamdiffusion: %s: %s not allowed: want %s", e.Field, v, e.Allowed)
}

// Is reports whether target is ErrInvalidParams.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidParams }

// ValidationError lists every *FieldError of a parameter set (errors.As
// with a **FieldError finds the first).
type ValidationError struct {
	Errors []*FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = strings.TrimPrefix(fe.Error(), "streamdiffusion: ")
	}
	return "streamdiffusion: invalid params: " + strings.Join(parts, "; ")
}

// Is reports whether target is ErrInvalidParams.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidParams }

// Unwrap returns the field errors.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		out[i] = fe
	}
	return out
}

// Validate checks p with params.py's rules at ai-runner 50a742c: field
// ranges and choices, t_index_list against num_inference_steps, ControlNets
// against the model type (and at most 3 enabled for SDXL), the IP-Adapter
// only for sd15/sdxl, cached attention's requirements, and null only where
// ai-runner takes it. Unset fields count with their defaults, as in
// ai-runner. It returns nil or a *ValidationError.
func (p Params) Validate() error {
	v := &validator{}
	v.nulls(reflect.ValueOf(&p).Elem(), "")
	e := p.WithDefaults()
	v.intRange("width", e.Width, MinSize, MaxSize, SizeMultiple)
	v.intRange("height", e.Height, MinSize, MaxSize, SizeMultiple)
	v.choice("model_id", string(e.ModelID), ModelIDs())
	mt, mtOK := e.ModelID.Type()
	v.choice("prompt_interpolation_method", string(e.PromptInterpolationMethod), []Interpolation{Linear, Slerp})
	v.choice("seed_interpolation_method", string(e.SeedInterpolationMethod), []Interpolation{Linear, Slerp})
	v.choice("acceleration", string(e.Acceleration), []Acceleration{AccelerationNone, AccelerationXFormers, AccelerationTensorRT})
	v.intRange("num_inference_steps", e.NumInferenceSteps, MinNumInferenceSteps, MaxNumInferenceSteps, 0)
	v.tIndexList(e)
	v.controlNets(e, mt, mtOK)
	v.ipAdapter(e, mt, mtOK)
	v.cachedAttention(e, mt)
	processing(v, "image_preprocessing", e.ImagePreprocessing, ImageProcessors())
	processing(v, "image_postprocessing", e.ImagePostprocessing, ImageProcessors())
	processing(v, "latent_preprocessing", e.LatentPreprocessing, LatentProcessors())
	processing(v, "latent_postprocessing", e.LatentPostprocessing, LatentProcessors())
	if len(v.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: v.errs}
}

type validator struct{ errs []*FieldError }

func (v *validator) add(field string, value any, allowed string) {
	v.errs = append(v.errs, &FieldError{Field: field, Value: value, Allowed: allowed})
}

// nulls reports null in fields that are not Optional in params.py, and
// non-finite floats anywhere (JSON cannot carry them).
func (v *validator) nulls(rv reflect.Value, path string) {
	switch rv.Kind() {
	case reflect.Pointer:
		if !rv.IsNil() {
			v.nulls(rv.Elem(), path)
		}
	case reflect.Slice:
		for i := range rv.Len() {
			v.nulls(rv.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.Float64:
		if f := rv.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			v.add(path, f, "a finite number")
		}
	case reflect.Struct:
		if rv.Type() == reflect.TypeFor[Prompt]() {
			if ws, ok := rv.Interface().(Prompt).Blend(); ok {
				for i, w := range ws {
					v.nulls(reflect.ValueOf(w.Weight), path+"["+strconv.Itoa(i)+"][1]")
				}
			}
			return
		}
		if rv.Type() == reflect.TypeFor[Seed]() {
			if ws, ok := rv.Interface().(Seed).Blend(); ok {
				for i, w := range ws {
					v.nulls(reflect.ValueOf(w.Weight), path+"["+strconv.Itoa(i)+"][1]")
				}
			}
			return
		}
		t := rv.Type()
		for i := range t.NumField() {
			name := jsonName(t.Field(i))
			if name == "" {
				continue
			}
			fv := rv.Field(i)
			fpath := joinPath(path, name)
			if o, ok := fv.Addr().Interface().(optional); ok {
				isNullOpt := fv.Interface().(interface{ IsNull() bool }).IsNull()
				if isNullOpt && t.Field(i).Tag.Get("sd") != "nullable" {
					v.add(fpath, nil, describe(reflect.TypeOf(o.target()).Elem())+" (not null)")
				}
				if fv.Interface().(interface{ IsSet() bool }).IsSet() && !isNullOpt {
					v.nulls(reflect.ValueOf(o.target()).Elem(), fpath)
				}
				continue
			}
			if fv.Type() == rawMessageType && fv.Len() > 0 {
				if raw := fv.Bytes(); !json.Valid(raw) || bytes.TrimSpace(raw)[0] != '{' {
					v.add(fpath, rawValue(raw), "a JSON object")
				}
				continue
			}
			if fv.Type() == reflect.TypeFor[LoRAs]() {
				continue
			}
			v.nulls(fv, fpath)
		}
	}
	if rv.Type() == reflect.TypeFor[LoRAs]() {
		for _, l := range rv.Interface().(LoRAs) {
			v.nulls(reflect.ValueOf(l.Weight), joinPath(path, l.ID))
		}
	}
}

// intRange checks an int field against [lo, hi] and, when mult > 0, a multiple.
func (v *validator) intRange(field string, o Opt[int], lo, hi, mult int) {
	n, ok := o.Get()
	if !ok {
		return
	}
	if n < lo || n > hi || (mult > 0 && n%mult != 0) {
		allowed := fmt.Sprintf("%d–%d", lo, hi)
		if mult > 0 {
			allowed += fmt.Sprintf(", a multiple of %d", mult)
		}
		v.add(field, n, allowed)
	}
}

// choice checks an enumeration value ("" is left to the caller).
func (v *validator) choice(field string, val string, choices any) {
	if val == "" {
		return
	}
	var names []string
	rv := reflect.ValueOf(choices)
	for i := range rv.Len() {
		names = append(names, rv.Index(i).String())
	}
	if !slices.Contains(names, val) {
		v.add(field, val, oneOf(names))
	}
}

func oneOf(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "one of " + strings.Join(q, ", ")
}

func (v *validator) tIndexList(e Params) {
	steps := e.NumInferenceSteps.Or(DefaultNumInferenceSteps)
	if n := len(e.TIndexList); n < MinTIndexList || n > MaxTIndexList {
		v.add("t_index_list", e.TIndexList, fmt.Sprintf("%d–%d values", MinTIndexList, MaxTIndexList))
		return
	}
	for i, t := range e.TIndexList {
		if t < 0 || t > steps {
			v.add("t_index_list["+strconv.Itoa(i)+"]", t, fmt.Sprintf("0–num_inference_steps (%d)", steps))
		}
		if i > 0 && t < e.TIndexList[i-1] {
			v.add("t_index_list["+strconv.Itoa(i)+"]", t, fmt.Sprintf("at least %d (non-decreasing)", e.TIndexList[i-1]))
		}
	}
}

func (v *validator) controlNets(e Params, mt ModelType, mtOK bool) {
	seen := map[ControlNetModelID]bool{}
	enabled := 0
	for i, c := range e.ControlNets {
		path := "controlnets[" + strconv.Itoa(i) + "]"
		switch {
		case c.ModelID == "":
			v.add(path+".model_id", nil, "a ControlNet model id (required)")
		case !slices.Contains(ControlNetModelIDs(), c.ModelID):
			v.add(path+".model_id", string(c.ModelID), oneOf(names(ControlNetModelIDs())))
		case seen[c.ModelID]:
			v.add(path+".model_id", string(c.ModelID), "each ControlNet once")
		case mtOK && !slices.Contains(mt.ControlNets(), c.ModelID):
			v.add(path+".model_id", string(c.ModelID), fmt.Sprintf("a ControlNet for %s (%s): %s", e.ModelID, mt, oneOf(names(mt.ControlNets()))))
		}
		seen[c.ModelID] = true
		if n, ok := c.ConditioningChannels.Get(); ok && (n < 1 || n > MaxConditioningChannels) {
			v.add(path+".conditioning_channels", n, fmt.Sprintf("1–%d, or null (best left unset)", MaxConditioningChannels))
		}
		v.choice(path+".preprocessor", string(c.Preprocessor), ImageProcessors())
		if c.Enabled.Or(true) {
			enabled++
		}
	}
	if max := mt.MaxEnabledControlNets(); mtOK && max > 0 && enabled > max {
		v.add("controlnets", enabled, fmt.Sprintf("at most %d enabled ControlNets with %s models", max, mt))
	}
}

func (v *validator) ipAdapter(e Params, mt ModelType, mtOK bool) {
	a := e.IPAdapter
	v.choice("ip_adapter.type", string(a.Type), []IPAdapterType{IPAdapterRegular, IPAdapterFaceID})
	if s, ok := a.IPAdapterModelPath.Get(); ok && !slices.Contains(ipAdapterModelPaths, s) {
		v.add("ip_adapter.ipadapter_model_path", s, oneOf(ipAdapterModelPaths)+", or null (deprecated: best left unset)")
	}
	if s, ok := a.ImageEncoderPath.Get(); ok && !slices.Contains(imageEncoderPaths, s) {
		v.add("ip_adapter.image_encoder_path", s, oneOf(imageEncoderPaths)+", or null (deprecated: best left unset)")
	}
	if s, ok := a.InsightFaceModelName.Get(); ok && !slices.Contains(insightFaceModelNames, s) {
		v.add("ip_adapter.insightface_model_name", s, oneOf(insightFaceModelNames)+", or null")
	}
	if w, ok := a.WeightType.Get(); ok {
		v.choice("ip_adapter.weight_type", string(w), WeightTypes())
	}
	if mtOK && a.Enabled.Or(true) && !mt.SupportsIPAdapter() {
		v.add("ip_adapter.enabled", true, fmt.Sprintf("false with %s (%s): the IP-Adapter needs an sd15 or sdxl model", e.ModelID, mt))
	}
}

func (v *validator) cachedAttention(e Params, mt ModelType) {
	c := e.CachedAttention
	v.intRange("cached_attention.max_frames", c.MaxFrames, 1, MaxCachedAttentionFrames, 0)
	v.intRange("cached_attention.interval", c.Interval, 1, MaxCachedAttentionInterval, 0)
	if !c.Enabled.Or(true) {
		return
	}
	if e.Acceleration != AccelerationTensorRT {
		v.add("acceleration", string(e.Acceleration), `"tensorrt" while cached_attention is enabled`)
	}
	for _, f := range []struct {
		name string
		o    Opt[int]
	}{{"width", e.Width}, {"height", e.Height}} {
		if n := f.o.Or(0); n != 512 {
			v.add(f.name, n, "512 while cached_attention is enabled")
		}
	}
	if mt != SDXL {
		return
	}
	steps := len(e.TIndexList)
	limit := map[int]int{1: 4, 2: 2, 3: 1}[steps]
	switch frames := c.MaxFrames.Or(1); {
	case steps >= 4:
		v.add("t_index_list", e.TIndexList, "at most 3 steps with SDXL cached attention")
	case frames > limit:
		v.add("cached_attention.max_frames", frames, fmt.Sprintf("1–%d with SDXL cached attention and %d denoising step(s)", limit, steps))
	}
}

// processing checks the processor names of a chain.
func processing[T ProcessorName](v *validator, field string, o Opt[Processing[T]], choices []T) {
	pr, ok := o.Get()
	if !ok {
		return
	}
	for i, x := range pr.Processors {
		path := field + ".processors[" + strconv.Itoa(i) + "].type"
		if x.Type == "" {
			v.add(path, nil, "a processor name (required)")
			continue
		}
		v.choice(path, string(x.Type), choices)
	}
}

func names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
