package streamdiffusion

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func params(t *testing.T, js string) Params {
	t.Helper()
	var p Params
	require.NoError(t, json.Unmarshal([]byte(js), &p), js)
	require.NoError(t, p.Validate(), js)
	return p
}

func TestDiff(t *testing.T) {
	sd15 := `"model_id":"Lykon/dreamshaper-8"`
	cn := func(scale string) string {
		return `"controlnets":[{"model_id":"lllyasviel/control_v11f1p_sd15_depth","conditioning_scale":` + scale + `}]`
	}
	for _, c := range []struct {
		name, old, new string
		want           []Change // Field and Effect only
		effect         Effect
	}{
		{"nothing", `{}`, `{}`, nil, 0},
		{"a default written out is no change", `{}`, `{"prompt":"flowers","guidance_scale":1,"width":512,"ip_adapter":{"enabled":false}}`, nil, 0},
		{"1 is 1.0", `{"delta":1}`, `{"delta":1.0}`, nil, 0},
		{"lora order does not matter", `{"lora_dict":{"a":1,"b":2}}`, `{"lora_dict":{"b":2,"a":1}}`, nil, 0},
		{"prompt", `{"prompt":"a"}`, `{"prompt":[["a",0.5],["b",0.5]]}`, []Change{{Field: "prompt", Effect: Live}}, Live},
		{"schedule", `{}`, `{"num_inference_steps":40,"t_index_list":[10,20]}`,
			[]Change{{Field: "num_inference_steps", Effect: Live}, {Field: "t_index_list", Effect: Live}}, Live},
		{"model", `{}`, `{"model_id":"stabilityai/sdxl-turbo"}`, []Change{{Field: "model_id", Effect: Reload}}, Reload},
		{"a model left out goes back to sd-turbo", `{"model_id":"stabilityai/sdxl-turbo","prompt":"a"}`, `{"prompt":"b"}`,
			[]Change{{Field: "model_id", Effect: Reload}, {Field: "prompt", Effect: Live}}, Reload},
		{"show_reloading_frame reloads", `{}`, `{"show_reloading_frame":false}`, []Change{{Field: "show_reloading_frame", Effect: Reload}}, Reload},
		{"acceleration", `{}`, `{"acceleration":"xformers"}`, []Change{{Field: "acceleration", Effect: Reload}}, Reload},
		{"conditioning scale", `{` + sd15 + `,` + cn("0.5") + `}`, `{` + sd15 + `,` + cn("0.7") + `}`,
			[]Change{{Field: "controlnets", Effect: Live}}, Live},
		{"add a controlnet", `{` + sd15 + `}`, `{` + sd15 + `,` + cn("0.7") + `}`, []Change{{Field: "controlnets", Effect: Reload}}, Reload},
		{"controlnet preprocessor", `{` + sd15 + `,` + cn("0.5") + `}`,
			`{` + sd15 + `,"controlnets":[{"model_id":"lllyasviel/control_v11f1p_sd15_depth","conditioning_scale":0.5,"preprocessor":"depth"}]}`,
			[]Change{{Field: "controlnets", Effect: Reload}}, Reload},
		{"ip adapter on", `{` + sd15 + `}`, `{` + sd15 + `,"ip_adapter":{"scale":0.5}}`, []Change{{Field: "ip_adapter", Effect: Live}}, Live},
		{"ip adapter type", `{` + sd15 + `,"ip_adapter":{}}`, `{` + sd15 + `,"ip_adapter":{"type":"faceid"}}`, []Change{{Field: "ip_adapter", Effect: Reload}}, Reload},
		{"style image", `{}`, `{"ip_adapter_style_image_url":"https://example.com/s.png"}`, []Change{{Field: "ip_adapter_style_image_url", Effect: Live}}, Live},
		{"cache frames", `{"cached_attention":{}}`, `{"cached_attention":{"max_frames":3,"interval":24}}`, []Change{{Field: "cached_attention", Effect: Live}}, Live},
		{"cache on", `{}`, `{"cached_attention":{}}`, []Change{{Field: "cached_attention.enabled", Effect: Reload}}, Reload},
		{"size", `{}`, `{"width":768}`, []Change{{Field: "width", Effect: Rejected}}, Rejected},
		{"sharpen", `{}`, `{"image_postprocessing":{"processors":[{"type":"sharpen"}]}}`, []Change{{Field: "image_postprocessing", Effect: Live}}, Live},
		{"upscaler", `{}`, `{"image_postprocessing":{"processors":[{"type":"realesrgan_trt"}]}}`, []Change{{Field: "image_postprocessing", Effect: Rejected}}, Rejected},
		{"upscale factor", `{"image_postprocessing":{"processors":[{"type":"upscale"}]}}`,
			`{"image_postprocessing":{"processors":[{"type":"upscale","params":{"scale_factor":1.5}}]}}`,
			[]Change{{Field: "image_postprocessing", Effect: Rejected}}, Rejected},
		{"upscaler disabled chain", `{}`, `{"image_postprocessing":{"enabled":false,"processors":[{"type":"realesrgan_trt"}]}}`,
			[]Change{{Field: "image_postprocessing", Effect: Live}}, Live},
		{"rejected beats reload", `{}`, `{"height":768,"model_id":"stabilityai/sdxl-turbo"}`,
			[]Change{{Field: "height", Effect: Rejected}, {Field: "model_id", Effect: Reload}}, Rejected},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Diff(params(t, c.old), params(t, c.new))
			var short []Change
			for _, ch := range got {
				assert.NotEmpty(t, ch.Reason)
				short = append(short, Change{Field: ch.Field, Effect: ch.Effect})
			}
			assert.Equal(t, c.want, short)
			assert.Equal(t, c.effect, got.Effect())
			assert.Equal(t, c.effect == Reload, Reloads(params(t, c.old), params(t, c.new)))
		})
	}
}

func TestEffectString(t *testing.T) {
	assert.Equal(t, "live", Live.String())
	assert.Equal(t, "reload", Reload.String())
	assert.Equal(t, "rejected", Rejected.String())
	assert.Equal(t, "none", Effect(0).String())
}
