package workflow

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

// modelConsts names streamdiffusion's model id constants, for the snippet.
var modelConsts = map[streamdiffusion.ModelID]string{
	streamdiffusion.SDTurbo:       "SDTurbo",
	streamdiffusion.SDXLTurbo:     "SDXLTurbo",
	streamdiffusion.OpenJourneyV4: "OpenJourneyV4",
	streamdiffusion.DreamShaper8:  "DreamShaper8",
}

// goParamsLiteral writes p as a streamdiffusion.Params composite literal,
// its set fields in ai-runner's order. It covers the field kinds a card
// parameter can set (model id, prompt, seed, optional numbers, booleans and
// texts, int lists, enumerations); any other set field is an error rather
// than a snippet that would not compile or would send something else.
func goParamsLiteral(p streamdiffusion.Params) (string, error) {
	var b strings.Builder
	b.WriteString("streamdiffusion.Params{\n")
	v := reflect.ValueOf(p)
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.IsZero() {
			continue // unset: left to ai-runner's default, as in the JSON
		}
		expr, err := goValueOf(f.Interface())
		if err != nil {
			return "", fmt.Errorf("workflow: no Go form for %s: %w", t.Field(i).Name, err)
		}
		fmt.Fprintf(&b, "%s: %s,\n", t.Field(i).Name, expr)
	}
	b.WriteString("}")
	return b.String(), nil
}

func goValueOf(v any) (string, error) {
	switch x := v.(type) {
	case streamdiffusion.ModelID:
		if c, ok := modelConsts[x]; ok {
			return "streamdiffusion." + c, nil
		}
		return fmt.Sprintf("streamdiffusion.ModelID(%q)", x), nil
	case streamdiffusion.Interpolation, streamdiffusion.Acceleration:
		return fmt.Sprintf("streamdiffusion.%s(%q)", reflect.TypeOf(x).Name(), x), nil
	case streamdiffusion.Prompt:
		if s, ok := x.Text(); ok {
			return fmt.Sprintf("streamdiffusion.PromptText(%q)", s), nil
		}
		ws, _ := x.Blend()
		parts := make([]string, len(ws))
		for i, w := range ws {
			parts[i] = fmt.Sprintf("streamdiffusion.WeightedPrompt{Text: %q, Weight: %s}", w.Text, goFloat(w.Weight))
		}
		return "streamdiffusion.PromptBlend(" + strings.Join(parts, ", ") + ")", nil
	case streamdiffusion.Seed:
		if s, ok := x.Value(); ok {
			return fmt.Sprintf("streamdiffusion.SeedValue(%d)", s), nil
		}
		ws, _ := x.Blend()
		parts := make([]string, len(ws))
		for i, w := range ws {
			parts[i] = fmt.Sprintf("streamdiffusion.WeightedSeed{Seed: %d, Weight: %s}", w.Seed, goFloat(w.Weight))
		}
		return "streamdiffusion.SeedBlend(" + strings.Join(parts, ", ") + ")", nil
	case streamdiffusion.Opt[float64]:
		return goOpt(x, "float64", func(f float64) string { return "streamdiffusion.Float(" + goFloat(f) + ")" }), nil
	case streamdiffusion.Opt[int]:
		return goOpt(x, "int", func(n int) string { return "streamdiffusion.Int(" + strconv.Itoa(n) + ")" }), nil
	case streamdiffusion.Opt[bool]:
		return goOpt(x, "bool", func(b bool) string { return "streamdiffusion.Bool(" + strconv.FormatBool(b) + ")" }), nil
	case streamdiffusion.Opt[string]:
		return goOpt(x, "string", func(s string) string { return "streamdiffusion.String(" + strconv.Quote(s) + ")" }), nil
	case []int:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.Itoa(n)
		}
		return "[]int{" + strings.Join(parts, ", ") + "}", nil
	}
	return "", fmt.Errorf("unsupported type %T", v)
}

// goOpt writes a set Opt: its value through some, or a typed Null.
func goOpt[T any](o streamdiffusion.Opt[T], typ string, some func(T) string) string {
	if v, ok := o.Get(); ok {
		return some(v)
	}
	return "streamdiffusion.Null[" + typ + "]()"
}

// goFloat writes a float64 as Go source that reads back to the same value.
func goFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
