package workflow

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

// cardAccepts reports whether the card's own descriptor (the rules the page
// applies, without the worker's) accepts params: each parameter's type and
// limits, and ItemsBelow.
func cardAccepts(w *Workflow, params map[string]any) bool {
	conv := map[string]any{}
	for i := range w.Params {
		p := &w.Params[i]
		v, ok := params[p.Name]
		if !ok {
			continue
		}
		cv, err := p.convert(v)
		if err != nil {
			return false
		}
		conv[p.Name] = cv
	}
	return w.checkLimits(conv) == nil
}

// offered returns values of p the card offers: its bounds, its default,
// and the slider's steps between.
func offered(p *Param, def any) []any {
	switch p.Type {
	case Text, Textarea:
		return []any{"", "flowers", "naïve “quotes” \\ \n 日本 🎨", strings.Repeat("é", p.MaxLen)}
	case Bool:
		return []any{true, false}
	case Float:
		var out []any
		for i := 0; ; i++ {
			v := math.Round((p.Min+float64(i)*p.Step)*1e9) / 1e9
			if v > p.Max {
				break
			}
			out = append(out, v)
		}
		return append(out, p.Max, def)
	case Int:
		if p.Widget == Slider {
			var out []any
			for v := p.Min; v <= p.Max; v += p.Step {
				out = append(out, int64(v))
			}
			return out
		}
		return []any{int64(p.Min), int64(p.Max), def, int64(p.Min) + 1, int64(p.Max) - 1}
	}
	return nil
}

// TestCardAgreesWithStreamDiffusion: the card is one source of truth with
// package streamdiffusion. Each model's start set is ai-runner's own (no
// default differs from what ai-runner runs for that model), every
// parameter is a field of streamdiffusion.Params, every value the card
// offers is one Params.Validate accepts, the ranges the card shares with
// ai-runner are the package's, and every parameter says whether it applies
// live or reloads, as streamdiffusion.Diff has it.
func TestCardAgreesWithStreamDiffusion(t *testing.T) {
	w := StreamDiffusion()
	// What ai-runner runs at start for each capability: params.py's
	// defaults with the model; SDXL's image starts with t_index_list [36]
	// (live/streamdiffusion/default_params/sdxl.json at 50a742c).
	aiRunner := map[string]streamdiffusion.Params{
		"streamdiffusion":      {ModelID: streamdiffusion.SDTurbo},
		"streamdiffusion-sdxl": {ModelID: streamdiffusion.SDXLTurbo, TIndexList: []int{36}},
	}
	require.Len(t, w.Models, len(aiRunner))
	for _, m := range w.Models {
		want, ok := aiRunner[m.ID]
		require.True(t, ok, m.ID)
		p, err := toParams(m.Defaults)
		require.NoError(t, err, m.ID)
		require.NoError(t, p.Validate(), m.ID)
		require.Contains(t, streamdiffusion.ModelIDs(), p.ModelID, m.ID)
		assert.Empty(t, streamdiffusion.Diff(want, p), "%s: the card's start set differs from ai-runner's", m.ID)
		for _, q := range w.Params {
			_, ok := m.Defaults[q.Name]
			assert.True(t, ok, "%s: no default for %s", m.ID, q.Name)
		}
	}

	for i := range w.Params {
		p := &w.Params[i]
		// A field of streamdiffusion.Params, as ai-runner names it.
		var probe streamdiffusion.Params
		b, _ := json.Marshal(map[string]any{p.Name: w.Models[0].Defaults[p.Name]})
		require.NoError(t, json.Unmarshal(b, &probe), "%s is not a StreamDiffusion parameter", p.Name)
		assert.NotEmpty(t, p.Label, p.Name)
		assert.Contains(t, []Effect{Live, Reload}, p.Effect, "%s says whether it applies live", p.Name)
	}

	// Every offered value, alone, on every model.
	for _, m := range w.Models {
		for i := range w.Params {
			p := &w.Params[i]
			if p.Type == IntList {
				continue // below, with the schedule length
			}
			n := 0
			for _, v := range offered(p, m.Defaults[p.Name]) {
				set := m.Copy()
				set[p.Name] = v
				if p.Name == "num_inference_steps" {
					// The page clamps the steps to the new length.
					steps := v.(int64)
					tl := set["t_index_list"].([]int64)
					for j := range tl {
						tl[j] = min(tl[j], steps-1)
					}
				}
				if !cardAccepts(w, set) {
					continue
				}
				n++
				assert.NoError(t, (sdModel{}).Check(set), "%s: the card offers %s = %v, ai-runner refuses it", m.ID, p.Name, v)
			}
			assert.Greater(t, n, 1, "%s: the card offers values of %s", m.ID, p.Name)
		}
		// t_index_list: every length, at its bounds and spread, for every
		// schedule length the card offers.
		steps, _ := w.Param("num_inference_steps")
		tl, _ := w.Param("t_index_list")
		offeredLists := 0
		for n := int64(steps.Min); n <= int64(steps.Max); n++ {
			for k := tl.MinItems; k <= tl.MaxItems; k++ {
				for _, shape := range []func(j int) int64{
					func(int) int64 { return 0 },
					func(int) int64 { return n - 1 },
					func(j int) int64 { return (n - 1) * int64(j) / int64(max(k-1, 1)) },
					func(int) int64 { return n },             // the card keeps steps below n
					func(int) int64 { return int64(tl.Max) }, // the item bound itself
				} {
					list := make([]int64, k)
					for j := range list {
						list[j] = shape(j)
					}
					set := m.Copy()
					set["num_inference_steps"], set["t_index_list"] = n, list
					if !cardAccepts(w, set) {
						continue
					}
					offeredLists++
					assert.NoError(t, (sdModel{}).Check(set), "%s: the card offers num_inference_steps %d, t_index_list %v; ai-runner refuses it", m.ID, n, list)
				}
			}
		}
		assert.Greater(t, offeredLists, 1000, m.ID)
	}

	// The ranges the card shares with ai-runner are the package's: one
	// past them, both refuse.
	steps, _ := w.Param("num_inference_steps")
	assert.Equal(t, float64(streamdiffusion.MinNumInferenceSteps), steps.Min)
	assert.Equal(t, float64(streamdiffusion.MaxNumInferenceSteps), steps.Max)
	tl, _ := w.Param("t_index_list")
	assert.Equal(t, streamdiffusion.MinTIndexList, tl.MinItems)
	assert.Equal(t, streamdiffusion.MaxTIndexList, tl.MaxItems)
	for _, patch := range []map[string]any{
		{"num_inference_steps": int64(streamdiffusion.MaxNumInferenceSteps + 1)},
		{"num_inference_steps": int64(streamdiffusion.MinNumInferenceSteps - 1)},
		{"t_index_list": []int64{1, 2, 3, 4, 5}},
	} {
		set := w.Models[0].Copy()
		for k, v := range patch {
			set[k] = v
		}
		assert.False(t, cardAccepts(w, set), "%v", patch)
		assert.Error(t, (sdModel{}).Check(set), "%v", patch)
	}

	// The effects: ai-runner's runtime-updatable fields are live, the
	// similar-image filter reloads (pipeline.py at 50a742c, through Diff).
	got := map[string]Effect{}
	for _, p := range w.Params {
		got[p.Name] = p.Effect
	}
	assert.Equal(t, map[string]Effect{"prompt": Live, "negative_prompt": Live, "guidance_scale": Live, "delta": Live,
		"num_inference_steps": Live, "t_index_list": Live, "seed": Live, "enable_similar_image_filter": Reload}, got)
}

// TestCheckIsParamsValidate: the server-side check is streamdiffusion's
// Params.Validate, reported with the field to highlight, the value's path,
// and the package's words for the value and the range.
func TestCheckIsParamsValidate(t *testing.T) {
	w := StreamDiffusion()
	for _, c := range []struct {
		patch             map[string]any
		field, path, want string
	}{
		{map[string]any{"t_index_list": []int64{10, 60}}, "t_index_list", "t_index_list[1]", "t_index_list[1]: 60 not allowed: want 0–num_inference_steps (50)"},
		{map[string]any{"height": int64(500)}, "height", "", "height: 500 not allowed: want 384–1024, a multiple of 64"},
		{map[string]any{"model_id": "other/model"}, "model_id", "", `model_id: "other/model" not allowed: want one of "stabilityai/sd-turbo"`},
		{map[string]any{"strength": 1.0}, "strength", "", "strength: 1 not allowed: want no such field"},
		{map[string]any{"seed": "x"}, "seed", "", "seed: "},
	} {
		set := w.Models[0].Copy()
		for k, v := range c.patch {
			set[k] = v
		}
		err := (sdModel{}).Check(set)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "%v: %v", c.patch, err)
		assert.Equal(t, c.field, fe.Field)
		assert.Equal(t, c.path, fe.Path)
		assert.Contains(t, err.Error(), c.want)
	}
	require.NoError(t, (sdModel{}).Check(w.Models[1].Copy()))

	e, fields, err := sdModel{}.Change(w.Models[0].Copy(), w.Models[1].Copy())
	require.NoError(t, err)
	assert.Equal(t, Reload, e, "another model reloads")
	assert.Equal(t, []string{"model_id"}, fields)
	next := w.Models[0].Copy()
	next["width"] = int64(768)
	e, fields, err = sdModel{}.Change(w.Models[0].Copy(), next)
	require.NoError(t, err)
	assert.Equal(t, Rejected, e)
	assert.Equal(t, []string{"width"}, fields)
	e, fields, err = sdModel{}.Change(w.Models[0].Copy(), w.Models[0].Copy())
	require.NoError(t, err)
	assert.Equal(t, Effect(""), e)
	assert.Empty(t, fields)
}

// TestGoLiteralBuildsTheSameParams compiles the snippet's Go form of
// several parameter sets and checks each marshals to exactly the JSON of
// the set it was made from (needs the go command; the module is this
// checkout).
func TestGoLiteralBuildsTheSameParams(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	w := StreamDiffusion()
	sets := []streamdiffusion.Params{
		mustParams(t, w.Models[0].Copy()),
		mustParams(t, w.Models[1].Copy()),
		{ModelID: streamdiffusion.DreamShaper8, Prompt: streamdiffusion.PromptBlend(streamdiffusion.WeightedPrompt{Text: `a "cat"`, Weight: 0.25}, streamdiffusion.WeightedPrompt{Text: "日本\n", Weight: 1e-7}),
			Seed:                      streamdiffusion.SeedBlend(streamdiffusion.WeightedSeed{Seed: -3, Weight: 1}, streamdiffusion.WeightedSeed{Seed: 1 << 40, Weight: 0.5}),
			PromptInterpolationMethod: streamdiffusion.Linear, Acceleration: streamdiffusion.AccelerationXFormers, ShowReloadingFrame: streamdiffusion.Bool(false),
			LCMLoRAID: streamdiffusion.String("x/y"), SimilarImageFilterThreshold: streamdiffusion.Float(1e21), TIndexList: []int{}},
		{ModelID: "not/a-model", NegativePrompt: streamdiffusion.Null[string](), Width: streamdiffusion.Null[int]()},
	}
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/livepeer/livepeer-go-gateway/streamdiffusion\"\n)\n\nfunc main() {\n")
	var want []string
	for _, p := range sets {
		lit, err := goParamsLiteral(p)
		require.NoError(t, err)
		src.WriteString("\t{\n\t\tb, _ := " + lit + ".MarshalJSON()\n\t\tfmt.Println(string(b))\n\t}\n")
		b, err := p.MarshalJSON()
		require.NoError(t, err)
		want = append(want, string(b))
	}
	src.WriteString("}\n")

	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644))
	gomod := "module literal\n\ngo 1.26.0\n\nrequire github.com/livepeer/livepeer-go-gateway v0.0.0\n\nreplace github.com/livepeer/livepeer-go-gateway => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	cmd := exec.Command("go", "run", "-mod=mod", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, src.String())
	assert.Equal(t, strings.Join(want, "\n")+"\n", string(out))

	// A field the card cannot set has no Go form here: an error, not a
	// snippet that sends something else.
	_, err = goParamsLiteral(streamdiffusion.Params{ControlNets: []streamdiffusion.ControlNet{{ModelID: streamdiffusion.ControlNetSD21Canny}}})
	require.ErrorContains(t, err, "no Go form for ControlNets")
	for _, m := range streamdiffusion.ModelIDs() {
		assert.NotEmpty(t, modelConsts[m], "a Go constant name for %s", m)
	}
}

func mustParams(t *testing.T, m map[string]any) streamdiffusion.Params {
	t.Helper()
	p, err := toParams(m)
	require.NoError(t, err)
	return p
}

// TestMapSnippetWithoutTypedModel: a workflow without a typed model gets a
// map literal in its Go snippet, which still parses.
func TestMapSnippetWithoutTypedModel(t *testing.T) {
	w := StreamDiffusion()
	w.Typed = nil
	src, err := RenderGo(w, SnippetData{BaseURL: "http://127.0.0.1:9", Key: "k", ModelID: "streamdiffusion", Params: w.Models[0].Copy()})
	require.NoError(t, err)
	assert.Contains(t, src, `params := map[string]any{`)
	assert.Contains(t, src, `"enable_similar_image_filter": false,`)
	assert.Contains(t, src, `next["prompt"] = "a watercolor painting"`)
	assert.NotContains(t, src, "streamdiffusion.")
}
