// Package workflow describes the realtime workflows the playground can run.
// A Workflow is data: the capability and models it runs, the parameter
// schema (names, types and ranges as the worker defines them) and the
// snippet templates. The page, the server-side validation and the snippets
// are all generated from it, so adding a workflow is adding a descriptor.
// A workflow whose worker has a typed parameter model in the SDK
// (StreamDiffusion: package streamdiffusion) also carries it as a
// ParamModel: the worker's own validation, what a change does to a running
// session, and the Go form of a parameter set come from it.
package workflow

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// ParamType is the kind of a parameter's value.
type ParamType string

// Parameter types.
const (
	Text     ParamType = "text"     // single-line string
	Textarea ParamType = "textarea" // multi-line string
	Float    ParamType = "float"
	Int      ParamType = "int"
	IntList  ParamType = "intlist" // list of integers
	Bool     ParamType = "bool"    // a checkbox
)

// Effect is what changing a parameter does to a running session.
type Effect string

// The effects.
const (
	Live     Effect = "live"     // applied to the running pipeline
	Reload   Effect = "reload"   // the pipeline reloads: its output pauses
	Rejected Effect = "rejected" // refused mid-stream (only a new session can have it)
)

// Widget is how the page edits a parameter.
type Widget string

// Widgets ("" is a text field or area by type).
const (
	Slider Widget = "slider" // a range with its value, bounds and default shown
	Number Widget = "number" // a number field (wide ranges, e.g. a seed)
	Steps  Widget = "steps"  // an int list as a count and one slider per item
)

// Param is one parameter of a workflow, named as the worker names it.
type Param struct {
	Name   string    `json:"name"`
	Label  string    `json:"label"` // in words, for people
	Help   string    `json:"help,omitempty"`
	Type   ParamType `json:"type"`
	Widget Widget    `json:"widget,omitempty"`
	// Min/Max bound numbers (and list items); HasMin/HasMax say whether they apply.
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	HasMin bool    `json:"hasMin"`
	HasMax bool    `json:"hasMax"`
	Step   float64 `json:"step,omitempty"`
	// MinItems/MaxItems bound list lengths.
	MinItems int `json:"minItems,omitempty"`
	MaxItems int `json:"maxItems,omitempty"`
	// NonDecreasing requires list items in non-decreasing order.
	NonDecreasing bool `json:"nonDecreasing,omitempty"`
	// ItemsBelow names an int parameter every list item must be below
	// (t_index_list items < num_inference_steps).
	ItemsBelow string `json:"itemsBelow,omitempty"`
	// MaxLen bounds string length in characters (0: none).
	MaxLen int `json:"maxLen,omitempty"`
	// Effect is what changing it during a run does ("" when the workflow
	// cannot tell).
	Effect Effect `json:"effect,omitempty"`
}

// Model is one model a workflow can run (the capability's model id) and the
// worker parameters that go with it.
type Model struct {
	ID    string `json:"id"`    // e.g. "streamdiffusion"
	Label string `json:"label"` // e.g. "SD-Turbo"
	// Defaults is the full parameter set sent at start, including the
	// fields the page does not edit (model_id, width, height...).
	Defaults map[string]any `json:"defaults"`
}

// Workflow is one realtime workflow card.
type Workflow struct {
	Slug    string `json:"slug"` // URL path under /models/
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// Simulated says what the workflow is on the in-process network.
	Simulated  string  `json:"simulated,omitempty"`
	Capability string  `json:"capability"` // pipeline, e.g. "live-video-to-video"
	Models     []Model `json:"models"`     // the first is the default
	Params     []Param `json:"params"`     // editable, in display order
	// ControlDebounceMS is how long the server waits after a change before
	// sending the full parameter set on the control channel.
	ControlDebounceMS int `json:"controlDebounceMs"`
	// Typed is the worker's typed parameter model, if the SDK has one.
	Typed ParamModel `json:"-"`
}

// ParamModel is a worker's typed parameter set. Parameter sets are the
// maps Apply makes (string, float64, int64, []int64, bool values).
type ParamModel interface {
	// Check validates a full parameter set with the worker's own rules; a
	// *FieldError names the parameter, the value and what is allowed.
	Check(params map[string]any) error
	// Change says what replacing old by new does to a running session (""
	// for no change) and which parameters do it.
	Change(old, new map[string]any) (Effect, []string, error)
	// Go is the Go snippet's form of params (see GoParams); the live
	// change it makes switches the prompt to prompt2.
	Go(params map[string]any, prompt2 string) (GoParams, error)
}

// GoParams is Go source for the snippet: the parameter set as a value the
// session takes, and the change it makes midway.
type GoParams struct {
	Imports []string // import paths the code needs beyond the snippet's own
	Value   string   // an expression: the parameter set, assigned to params
	Check   string   // statements run after params is set ("" for none)
	Next    string   // statements defining next from params, with the new prompt
}

// Model returns the model with this id; "" means the default model.
func (w *Workflow) Model(id string) (*Model, bool) {
	if id == "" && len(w.Models) > 0 {
		return &w.Models[0], true
	}
	for i := range w.Models {
		if w.Models[i].ID == id {
			return &w.Models[i], true
		}
	}
	return nil, false
}

// CapabilityName is "pipeline/model" as discovery and pricing name it.
func (w *Workflow) CapabilityName(modelID string) string { return w.Capability + "/" + modelID }

// Param returns the parameter named name.
func (w *Workflow) Param(name string) (*Param, bool) {
	for i := range w.Params {
		if w.Params[i].Name == name {
			return &w.Params[i], true
		}
	}
	return nil, false
}

// FieldError names the parameter at fault and the rule it breaks.
type FieldError struct {
	Field string `json:"field"` // the parameter, as the form names it
	// Path is the value's place inside it, as the worker names it, when
	// deeper than Field (e.g. "t_index_list[1]").
	Path   string `json:"path,omitempty"`
	Reason string `json:"reason"`
}

func (e *FieldError) Error() string {
	if e.Path != "" {
		return e.Path + ": " + e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Copy returns a fresh copy of the model's full parameter set, with the
// same Go types as Defaults (int64 stays int64, lists are copied).
func (m *Model) Copy() map[string]any {
	return copyValue(m.Defaults).(map[string]any)
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	case []int64:
		return append([]int64(nil), x...)
	}
	return v
}

// Apply returns current with patch applied, validated as a whole: only
// editable parameters may be patched, and the result must satisfy every
// rule (see Validate). current is not modified. On failure the *FieldError
// names the field.
func (w *Workflow) Apply(current, patch map[string]any) (map[string]any, error) {
	next := make(map[string]any, len(current)+len(patch))
	for k, v := range current {
		next[k] = v
	}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := w.Param(k)
		if !ok {
			return nil, &FieldError{Field: k, Reason: "unknown or read-only parameter (editable: " + w.editable() + ")"}
		}
		v, err := p.convert(patch[k])
		if err != nil {
			return nil, err
		}
		next[k] = v
	}
	if err := w.Validate(next); err != nil {
		return nil, err
	}
	return next, nil
}

func (w *Workflow) editable() string {
	names := make([]string, len(w.Params))
	for i, p := range w.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// Validate checks a full parameter set: the type of every editable
// parameter present, then the worker's own rules (Typed), then the card's
// limits (ranges, list lengths and order, text lengths), which may be
// narrower than the worker's.
func (w *Workflow) Validate(params map[string]any) error {
	conv := make(map[string]any, len(w.Params))
	for i := range w.Params {
		p := &w.Params[i]
		if v, ok := params[p.Name]; ok {
			cv, err := p.convert(v)
			if err != nil {
				return err
			}
			conv[p.Name] = cv
		}
	}
	if w.Typed != nil {
		typed := make(map[string]any, len(params))
		for k, v := range params {
			typed[k] = v
		}
		for k, v := range conv {
			typed[k] = v
		}
		if err := w.Typed.Check(typed); err != nil {
			return err
		}
	}
	return w.checkLimits(conv)
}

// checkLimits checks the card's own limits on converted values.
func (w *Workflow) checkLimits(conv map[string]any) error {
	for i := range w.Params {
		p := &w.Params[i]
		cv, ok := conv[p.Name]
		if !ok {
			continue
		}
		if err := p.check(cv); err != nil {
			return err
		}
		if p.ItemsBelow == "" {
			continue
		}
		lim, ok := conv[p.ItemsBelow]
		if !ok {
			continue
		}
		n, err := toFloat(lim)
		if err != nil {
			continue
		}
		for _, it := range cv.([]int64) {
			if float64(it) >= n {
				return &FieldError{Field: p.Name, Reason: fmt.Sprintf("every item must be below %s (%v); got %d", p.ItemsBelow, n, it)}
			}
		}
	}
	return nil
}

// rangeText describes a parameter's bounds ("between 0.1 and 3").
func (p *Param) rangeText() string {
	switch {
	case p.HasMin && p.HasMax:
		return fmt.Sprintf("between %s and %s", fmtNum(p.Min), fmtNum(p.Max))
	case p.HasMin:
		return "at least " + fmtNum(p.Min)
	case p.HasMax:
		return "at most " + fmtNum(p.Max)
	}
	return ""
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case json.Number:
		return x.Float64()
	}
	return 0, fmt.Errorf("not a number")
}

func (p *Param) checkRange(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || (p.HasMin && f < p.Min) || (p.HasMax && f > p.Max) {
		return &FieldError{Field: p.Name, Reason: fmt.Sprintf("must be %s; got %v", p.rangeText(), f)}
	}
	return nil
}

// convert converts a JSON-decoded value to the parameter's Go type
// (string, float64, int64, []int64, bool); it checks the type only.
func (p *Param) convert(v any) (any, error) {
	switch p.Type {
	case Text, Textarea:
		s, ok := v.(string)
		if !ok {
			return nil, &FieldError{Field: p.Name, Reason: "must be a string"}
		}
		return s, nil
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return nil, &FieldError{Field: p.Name, Reason: "must be true or false"}
		}
		return b, nil
	case Float:
		f, err := toFloat(v)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &FieldError{Field: p.Name, Reason: "must be a number " + p.rangeText()}
		}
		return f, nil
	case Int:
		f, err := toFloat(v)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, &FieldError{Field: p.Name, Reason: "must be an integer " + p.rangeText()}
		}
		return int64(f), nil
	case IntList:
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case []int64:
			for _, it := range x {
				items = append(items, float64(it))
			}
		case []int:
			for _, it := range x {
				items = append(items, float64(it))
			}
		default:
			return nil, &FieldError{Field: p.Name, Reason: "must be a list of integers"}
		}
		out := make([]int64, len(items))
		for i, it := range items {
			f, err := toFloat(it)
			if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return nil, &FieldError{Field: p.Name, Reason: fmt.Sprintf("item %d must be an integer", i)}
			}
			out[i] = int64(f)
		}
		return out, nil
	}
	return nil, &FieldError{Field: p.Name, Reason: "unsupported parameter type " + string(p.Type)}
}

// check checks a converted value against the card's limits: range, text
// length, list length, item range and order.
func (p *Param) check(v any) error {
	switch x := v.(type) {
	case string:
		if p.MaxLen > 0 && len([]rune(x)) > p.MaxLen {
			return &FieldError{Field: p.Name, Reason: fmt.Sprintf("must be at most %d characters; got %d", p.MaxLen, len([]rune(x)))}
		}
	case float64:
		return p.checkRange(x)
	case int64:
		return p.checkRange(float64(x))
	case []int64:
		if len(x) < p.MinItems || (p.MaxItems > 0 && len(x) > p.MaxItems) {
			return &FieldError{Field: p.Name, Reason: fmt.Sprintf("must have %d to %d items; got %d", p.MinItems, p.MaxItems, len(x))}
		}
		for i, it := range x {
			if f := float64(it); (p.HasMin && f < p.Min) || (p.HasMax && f > p.Max) {
				return &FieldError{Field: p.Name, Reason: fmt.Sprintf("item %d must be %s; got %v", i, p.rangeText(), f)}
			}
			if p.NonDecreasing && i > 0 && it < x[i-1] {
				return &FieldError{Field: p.Name, Reason: "items must be in non-decreasing order"}
			}
		}
	}
	return nil
}
