package streamdiffusion

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateFieldErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		p       Params
		field   string
		value   any
		allowed string
	}{
		{"width range", Params{Width: Int(320)}, "width", 320, "384–1024, a multiple of 64"},
		{"height multiple", Params{Height: Int(500)}, "height", 500, "384–1024, a multiple of 64"},
		{"model", Params{ModelID: "runwayml/stable-diffusion-v1-5"}, "model_id", "runwayml/stable-diffusion-v1-5",
			`one of "stabilityai/sd-turbo", "stabilityai/sdxl-turbo", "prompthero/openjourney-v4", "Lykon/dreamshaper-8"`},
		{"steps", Params{NumInferenceSteps: Int(0)}, "num_inference_steps", 0, "1–100"},
		{"t index against the default steps", Params{TIndexList: []int{10, 60}}, "t_index_list[1]", 60, "0–num_inference_steps (50)"},
		{"t index order", Params{TIndexList: []int{20, 10}}, "t_index_list[1]", 10, "at least 20 (non-decreasing)"},
		{"t index count", Params{TIndexList: []int{}}, "t_index_list", []int{}, "1–4 values"},
		{"interpolation", Params{PromptInterpolationMethod: "cubic"}, "prompt_interpolation_method", "cubic", `one of "linear", "slerp"`},
		{"controlnet for another model", Params{ControlNets: []ControlNet{{ModelID: ControlNetSDXLDepth}}},
			"controlnets[0].model_id", "xinsir/controlnet-depth-sdxl-1.0", "a ControlNet for stabilityai/sd-turbo (sd21): "},
		{"controlnet required", Params{ControlNets: []ControlNet{{}}}, "controlnets[0].model_id", nil, "required"},
		{"controlnet twice", Params{ControlNets: []ControlNet{{ModelID: ControlNetSD21Canny}, {ModelID: ControlNetSD21Canny}}},
			"controlnets[1].model_id", "thibaud/controlnet-sd21-canny-diffusers", "each ControlNet once"},
		{"channels", Params{ControlNets: []ControlNet{{ModelID: ControlNetSD21Canny, ConditioningChannels: Int(9)}}},
			"controlnets[0].conditioning_channels", 9, "1–6"},
		{"sdxl controlnets", Params{ModelID: SDXLTurbo, ControlNets: []ControlNet{{ModelID: ControlNetSDXLDepth}, {ModelID: ControlNetSDXLCanny},
			{ModelID: ControlNetSDXLTile}, {ModelID: TemporalNetSDXL}}}, "controlnets", 4, "at most 3 enabled ControlNets with sdxl models"},
		{"ip adapter on sd21", Params{IPAdapter: &IPAdapter{}}, "ip_adapter.enabled", true, "the IP-Adapter needs an sd15 or sdxl model"},
		{"weight type", Params{ModelID: DreamShaper8, IPAdapter: &IPAdapter{WeightType: Some[WeightType]("heavy")}}, "ip_adapter.weight_type", "heavy", `"linear"`},
		{"cache acceleration", Params{Acceleration: AccelerationXFormers, CachedAttention: &CachedAttention{}}, "acceleration", "xformers", `"tensorrt" while cached_attention is enabled`},
		{"cache size", Params{Width: Int(576), CachedAttention: &CachedAttention{}}, "width", 576, "512 while cached_attention is enabled"},
		{"cache frames", Params{CachedAttention: &CachedAttention{Enabled: Bool(false), MaxFrames: Int(5)}}, "cached_attention.max_frames", 5, "1–4"},
		{"sdxl cache", Params{ModelID: SDXLTurbo, TIndexList: []int{10, 20}, CachedAttention: &CachedAttention{MaxFrames: Int(3)}},
			"cached_attention.max_frames", 3, "1–2 with SDXL cached attention and 2 denoising step(s)"},
		{"processor", Params{LatentPreprocessing: Some(LatentProcessing{Processors: []Processor[LatentProcessor]{{Type: "blur"}}})},
			"latent_preprocessing.processors[0].type", "blur", `one of "latent_feedback"`},
		{"null where ai-runner wants a value", Params{GuidanceScale: Null[float64]()}, "guidance_scale", nil, "a number (not null)"},
		{"null in a controlnet", Params{ControlNets: []ControlNet{{ModelID: ControlNetSD21Canny, Enabled: Null[bool]()}}}, "controlnets[0].enabled", nil, "true or false (not null)"},
		{"not finite", Params{Delta: Float(math.Inf(1))}, "delta", math.Inf(1), "a finite number"},
		{"not finite weight", Params{Prompt: PromptBlend(WeightedPrompt{"a", math.NaN()})}, "prompt[0][1]", nil, "a finite number"},
		{"params not an object", Params{ControlNets: []ControlNet{{ModelID: ControlNetSD21Canny, PreprocessorParams: json.RawMessage(`[1]`)}}},
			"controlnets[0].preprocessor_params", []any{1.0}, "a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			require.Error(t, err)
			require.ErrorIs(t, err, ErrInvalidParams)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, c.field, fe.Field, err.Error())
			if c.name != "not finite weight" {
				assert.Equal(t, c.value, fe.Value)
			}
			assert.Contains(t, fe.Allowed, c.allowed)
			assert.Contains(t, err.Error(), c.field)
		})
	}
}

func TestValidateListsEveryError(t *testing.T) {
	err := Params{Width: Int(100), Height: Int(2000), Seed: SeedValue(1), SeedInterpolationMethod: "x"}.Validate()
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"width", "height", "seed_interpolation_method"}, fields)
	assert.Equal(t, `streamdiffusion: invalid params: width: 100 not allowed: want 384–1024, a multiple of 64; `+
		`height: 2000 not allowed: want 384–1024, a multiple of 64; seed_interpolation_method: "x" not allowed: want one of "linear", "slerp"`, err.Error())
}

func TestDefaultsAreValid(t *testing.T) {
	d := Defaults()
	require.NoError(t, d.Validate())
	require.NoError(t, Params{}.Validate())
	v, ok := d.Width.Get()
	require.True(t, ok)
	require.Equal(t, DefaultWidth, v)
	s, ok := d.Prompt.Text()
	require.True(t, ok)
	require.Equal(t, DefaultPrompt, s)
	require.Equal(t, DefaultTIndexList(), d.TIndexList)
	require.False(t, d.IPAdapter.Enabled.Or(true), "the IP-Adapter is off by default")
	require.False(t, d.CachedAttention.Enabled.Or(true), "cached attention is off by default")
	require.True(t, (&IPAdapter{}).WithDefaults().Enabled.Or(false), "a set IP-Adapter is on unless it says otherwise")
}

func TestModelTables(t *testing.T) {
	for _, m := range ModelIDs() {
		mt, ok := m.Type()
		require.True(t, ok, m)
		require.NotEmpty(t, mt.ControlNets())
	}
	_, ok := ModelID("x").Type()
	require.False(t, ok)
	require.Len(t, ControlNetModelIDs(), 14)
	require.Len(t, ImageProcessors(), 19)
	require.Len(t, WeightTypes(), 15)
	require.True(t, SD15.SupportsIPAdapter())
	require.True(t, SDXL.SupportsIPAdapter())
	require.False(t, SD21.SupportsIPAdapter())
	require.Equal(t, 3, SDXL.MaxEnabledControlNets())
}

func TestOptAccessors(t *testing.T) {
	var o Opt[int]
	require.False(t, o.IsSet())
	require.Equal(t, 7, o.Or(7))
	o = Int(3)
	v, ok := o.Get()
	require.True(t, ok)
	require.Equal(t, 3, v)
	n := Null[int]()
	require.True(t, n.IsSet())
	require.True(t, n.IsNull())
	_, ok = n.Get()
	require.False(t, ok)
	b, err := json.Marshal(struct {
		A Opt[float64]
		B Opt[int]
	}{Float(2), Null[int]()})
	require.NoError(t, err)
	require.Equal(t, `{"A":2.0,"B":null}`, string(b))
}
