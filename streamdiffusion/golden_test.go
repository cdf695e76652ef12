package streamdiffusion

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examples returns the names of our example parameter sets in
// testdata/examples (see testdata/README.md), each with its golden files made
// by ai-runner's own model.
func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/examples/*.json")
	require.NoError(t, err)
	require.Len(t, files, 13)
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	return names
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// semanticJSON decodes JSON for a comparison that ignores key order,
// whitespace and 1 versus 1.0.
func semanticJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return v
}

// TestGoldenExamples: each of our example parameter sets decodes,
// validates, and encodes to exactly what ai-runner's pydantic model dumps
// for it (golden/<name>.json, model_dump_json(exclude_unset=True)), which
// is the example itself with ai-runner's field order and number format;
// with defaults filled in it encodes to model_dump_json()
// (golden/<name>.full.json).
func TestGoldenExamples(t *testing.T) {
	for _, name := range examples(t) {
		t.Run(name, func(t *testing.T) {
			src := read(t, "testdata/examples/"+name+".json")
			golden := read(t, "testdata/golden/"+name+".json")
			full := read(t, "testdata/golden/"+name+".full.json")

			var p Params
			require.NoError(t, json.Unmarshal(src, &p))
			require.NoError(t, p.Validate())
			out, err := p.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, string(golden), string(out), "the example → ai-runner's JSON, byte for byte")
			assert.Equal(t, semanticJSON(t, src), semanticJSON(t, out), "the same parameters as the example")

			var q Params
			require.NoError(t, json.Unmarshal(golden, &q))
			var again bytes.Buffer
			enc := json.NewEncoder(&again)
			enc.SetEscapeHTML(false)
			require.NoError(t, enc.Encode(q))
			assert.Equal(t, string(golden)+"\n", again.String(), "golden round trip through encoding/json, byte for byte")
			viaMarshal, err := json.Marshal(q)
			require.NoError(t, err)
			assert.Equal(t, semanticJSON(t, golden), semanticJSON(t, viaMarshal), "json.Marshal: the same JSON (HTML characters escaped)")

			all, err := p.WithDefaults().MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, string(full), string(all), "WithDefaults is ai-runner's model_dump_json(), byte for byte")
			require.NoError(t, p.WithDefaults().Validate())
			assert.Empty(t, Diff(p, p.WithDefaults()), "defaults filled in are no change to ai-runner")
		})
	}
}

// TestFormat: floats and strings are written exactly as pydantic writes
// them (testdata/format.json, produced by pydantic).
func TestFormat(t *testing.T) {
	var f struct {
		Floats  [][2]string `json:"floats"`
		Strings [][2]string `json:"strings"`
	}
	require.NoError(t, json.Unmarshal(read(t, "testdata/format.json"), &f))
	require.NotEmpty(t, f.Floats)
	for _, c := range f.Floats {
		v, err := strconv.ParseFloat(c[0], 64)
		require.NoError(t, err)
		assert.Equal(t, c[1], string(appendFloat(nil, v)), "float %s", c[0])
	}
	require.NotEmpty(t, f.Strings)
	for _, c := range f.Strings {
		assert.Equal(t, c[1], string(appendString(nil, c[0])), "string %q", c[0])
	}
}

// TestCasesAgreeWithAIRunner: for each parameter set of testdata/cases.json,
// decoding plus Validate fails exactly when ai-runner's model refuses it,
// naming the field ai-runner names.
func TestCasesAgreeWithAIRunner(t *testing.T) {
	var cases []struct {
		Params json.RawMessage `json:"params"`
		Valid  bool            `json:"valid"`
		Loc    []string        `json:"loc"`
		Msg    string          `json:"msg"`
	}
	require.NoError(t, json.Unmarshal(read(t, "testdata/cases.json"), &cases))
	require.Greater(t, len(cases), 60)
	for _, c := range cases {
		var p Params
		err := json.Unmarshal(c.Params, &p)
		if err == nil {
			err = p.Validate()
		}
		if c.Valid {
			assert.NoError(t, err, "%s", c.Params)
			continue
		}
		if !assert.Error(t, err, "%s: ai-runner says %v: %s", c.Params, c.Loc, c.Msg) {
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidParams)
		var fe *FieldError
		require.ErrorAs(t, err, &fe, "%s", c.Params)
		assert.NotEmpty(t, fe.Allowed)
		if len(c.Loc) > 0 {
			assert.True(t, strings.HasPrefix(fe.Field, c.Loc[0]), "%s: field %q, ai-runner says %v", c.Params, fe.Field, c.Loc)
			want := pathOf(c.Loc)
			if !strings.Contains(c.Msg, "valid") || len(c.Loc) == 1 { // not a union alternative's location
				if _, alt := map[string]bool{"int": true, "str": true}[c.Loc[len(c.Loc)-1]]; !alt {
					assert.Equal(t, want, fe.Field, "%s", c.Params)
				}
			}
		}
	}
}

// pathOf turns a pydantic location into a FieldError path.
func pathOf(loc []string) string {
	var b strings.Builder
	for i, l := range loc {
		if _, err := strconv.Atoi(l); err == nil {
			b.WriteString("[" + l + "]")
			continue
		}
		if i > 0 {
			b.WriteString(".")
		}
		b.WriteString(l)
	}
	return b.String()
}

func TestUnmarshalErrors(t *testing.T) {
	for _, c := range []struct {
		in, field, allowed string
	}{
		{`{"foo":1}`, "foo", "no such field"},
		{`{"controlnets":[{"model_id":"x","extra":1}]}`, "controlnets[0].extra", "no such field"},
		{`{"guidance_scale":null}`, "guidance_scale", "a number (not null)"},
		{`{"ip_adapter":null}`, "ip_adapter", "not null"},
		{`{"width":"512"}`, "width", "an integer"},
		{`{"num_inference_steps":2.5}`, "num_inference_steps", "an integer"},
		{`{"t_index_list":[1,"2"]}`, "t_index_list[1]", "an integer"},
		{`{"prompt":5}`, "prompt", "a string or a list of [text, weight] pairs"},
		{`{"seed":[[1]]}`, "seed", "an integer or a list of [seed, weight] pairs"},
		{`{"lora_dict":{"a":"x"}}`, "lora_dict", "LoRA"},
		{`{"image_preprocessing":{"processors":[{"type":"blur","params":[]}]}}`, "image_preprocessing.processors[0].params", "a JSON object"},
		{`{"controlnets":[null]}`, "controlnets[0]", "a JSON object"},
		{`{"cached_attention":[]}`, "cached_attention", "a JSON object"},
	} {
		var p Params
		err := json.Unmarshal([]byte(c.in), &p)
		var fe *FieldError
		require.ErrorAs(t, err, &fe, c.in)
		assert.Equal(t, c.field, fe.Field, c.in)
		assert.Contains(t, fe.Allowed, c.allowed, c.in)
		assert.ErrorIs(t, err, ErrInvalidParams)
		assert.True(t, strings.HasPrefix(err.Error(), "streamdiffusion: "+c.field+": "), err.Error())
	}
}

// TestOptNullRoundTrip: null is kept where ai-runner takes it.
func TestOptNullRoundTrip(t *testing.T) {
	in := `{"lora_dict":null,"controlnets":[{"model_id":"thibaud/controlnet-sd21-canny-diffusers","conditioning_channels":null}],"image_preprocessing":null}`
	var p Params
	require.NoError(t, json.Unmarshal([]byte(in), &p))
	require.True(t, p.LoRADict.IsNull())
	require.True(t, p.ImagePreprocessing.IsNull())
	require.NoError(t, p.Validate())
	out, err := p.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, in, string(out))
	require.False(t, p.Width.IsSet())
}

// TestFreeFormParamsAsPydantic: free-form processor parameters are
// re-written as pydantic writes a Dict[str, Any]: key order kept, spaces
// dropped, floats with a fraction, a repeated key in its first place.
func TestFreeFormParamsAsPydantic(t *testing.T) {
	c := ControlNet{ModelID: ControlNetSD21Canny, PreprocessorParams: json.RawMessage(`{ "z": 1, "a": [1.0, 2, 1e2, -0, "\u00e9"], "n": null, "z": 3, "o": {"b": true} }`)}
	out, err := c.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, `{"model_id":"thibaud/controlnet-sd21-canny-diffusers","preprocessor_params":{"z":3,"a":[1.0,2,100.0,0,"é"],"n":null,"o":{"b":true}}}`, string(out))
}

func TestMarshalBuilt(t *testing.T) {
	p := Params{
		ModelID:           SDXLTurbo,
		Prompt:            PromptBlend(WeightedPrompt{"a cat", 0.75}, WeightedPrompt{"a dog", 0.25}),
		NegativePrompt:    String(""),
		GuidanceScale:     Float(1),
		NumInferenceSteps: Int(40),
		TIndexList:        []int{20, 30},
		Seed:              SeedBlend(WeightedSeed{1, 0.5}, WeightedSeed{2, 0.5}),
		LoRADict:          Some(LoRAs{{"b/lora", 0.5}, {"a/lora", 1}}),
		ControlNets:       []ControlNet{{ModelID: ControlNetSDXLDepth, ConditioningScale: Float(0.5)}},
		IPAdapter:         &IPAdapter{Type: IPAdapterFaceID, Scale: Float(0.8), WeightType: Some(WeightStyleTransfer)},
		ImagePostprocessing: Some(ImageProcessing{Processors: []Processor[ImageProcessor]{
			{Type: ProcessorSharpen, Params: json.RawMessage(`{"strength":0.5}`)}}}),
		CachedAttention: &CachedAttention{MaxFrames: Int(2)},
	}
	require.NoError(t, p.Validate())
	out, err := p.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, `{"model_id":"stabilityai/sdxl-turbo","prompt":[["a cat",0.75],["a dog",0.25]],"negative_prompt":"","guidance_scale":1.0,`+
		`"num_inference_steps":40,"t_index_list":[20,30],"lora_dict":{"b/lora":0.5,"a/lora":1.0},"seed":[[1,0.5],[2,0.5]],`+
		`"controlnets":[{"model_id":"xinsir/controlnet-depth-sdxl-1.0","conditioning_scale":0.5}],`+
		`"ip_adapter":{"type":"faceid","scale":0.8,"weight_type":"style transfer"},`+
		`"image_postprocessing":{"processors":[{"type":"sharpen","params":{"strength":0.5}}]},"cached_attention":{"max_frames":2}}`, string(out))
	var back Params
	require.NoError(t, json.Unmarshal(out, &back))
	require.Equal(t, p, back)
	require.True(t, reflect.DeepEqual(p, back))
	require.Equal(t, "{}", string(must(Params{}.MarshalJSON())))
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestJSONMarshalEscapesHTMLOnly: through json.Marshal the bytes differ only
// by encoding/json's HTML escaping, which is the same JSON string.
func TestJSONMarshalEscapesHTMLOnly(t *testing.T) {
	p := Params{Prompt: PromptText("<a & b>")}
	direct := must(p.MarshalJSON())
	viaJSON, err := json.Marshal(p)
	require.NoError(t, err)
	require.Equal(t, `{"prompt":"<a & b>"}`, string(direct))
	require.Equal(t, `{"prompt":"\u003ca \u0026 b\u003e"}`, string(viaJSON))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(p))
	require.Equal(t, string(direct)+"\n", buf.String())
	require.False(t, errors.Is(nil, ErrInvalidParams))
}

// TestExamplesCover: between them the examples use every model id, every
// ControlNet, every image and latent processor, both IP-Adapter types,
// cached attention, skip_diffusion, weighted prompts and seeds, and LoRAs,
// so the byte-for-byte checks reach every part of the encoder.
func TestExamplesCover(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range examples(t) {
		var p Params
		require.NoError(t, json.Unmarshal(read(t, "testdata/examples/"+name+".json"), &p))
		seen["model "+string(p.ModelID)] = true
		for _, c := range p.ControlNets {
			seen["controlnet "+string(c.ModelID)] = true
			seen["image "+string(c.Preprocessor)] = true
		}
		for _, o := range []Opt[ImageProcessing]{p.ImagePreprocessing, p.ImagePostprocessing} {
			if v, ok := o.Get(); ok {
				for _, pr := range v.Processors {
					seen["image "+string(pr.Type)] = true
				}
			}
		}
		for _, o := range []Opt[LatentProcessing]{p.LatentPreprocessing, p.LatentPostprocessing} {
			if v, ok := o.Get(); ok {
				for _, pr := range v.Processors {
					seen["latent "+string(pr.Type)] = true
				}
			}
		}
		if p.IPAdapter != nil && p.IPAdapter.Enabled.Or(true) {
			seen["ip_adapter "+string(p.IPAdapter.WithDefaults().Type)] = true
		}
		if p.CachedAttention != nil && p.CachedAttention.Enabled.Or(true) {
			seen["cached_attention"] = true
		}
		if p.SkipDiffusion.Or(false) {
			seen["skip_diffusion"] = true
		}
		if _, ok := p.Prompt.Blend(); ok {
			seen["prompt blend"] = true
		}
		if _, ok := p.Seed.Blend(); ok {
			seen["seed blend"] = true
		}
		if l, ok := p.LoRADict.Get(); ok && len(l) > 0 {
			seen["loras"] = true
		}
	}
	want := []string{"ip_adapter regular", "ip_adapter faceid", "cached_attention", "skip_diffusion", "prompt blend", "seed blend", "loras"}
	for _, m := range ModelIDs() {
		want = append(want, "model "+string(m))
	}
	for _, c := range ControlNetModelIDs() {
		want = append(want, "controlnet "+string(c))
	}
	for _, pr := range ImageProcessors() {
		want = append(want, "image "+string(pr))
	}
	for _, pr := range LatentProcessors() {
		want = append(want, "latent "+string(pr))
	}
	for _, w := range want {
		assert.True(t, seen[w], "no example uses %s", w)
	}
}
