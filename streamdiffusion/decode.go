package streamdiffusion

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// Decoding follows params.py's pydantic models: an unknown field is an
// error (extra = "forbid"), null is accepted only where the field is
// Optional, integers may be written as integral numbers (50.0), and every
// error is a *FieldError naming the field by its JSON path. Values are not
// checked against ranges or choices here: Validate does that.

// UnmarshalJSON decodes a parameter set; p is reset first.
func (p *Params) UnmarshalJSON(b []byte) error { return decodeTop(b, p) }

// UnmarshalJSON decodes one ControlNet; c is reset first.
func (c *ControlNet) UnmarshalJSON(b []byte) error { return decodeTop(b, c) }

// UnmarshalJSON decodes an IP-Adapter configuration; a is reset first.
func (a *IPAdapter) UnmarshalJSON(b []byte) error { return decodeTop(b, a) }

// UnmarshalJSON decodes a cached attention configuration; c is reset first.
func (c *CachedAttention) UnmarshalJSON(b []byte) error { return decodeTop(b, c) }

// UnmarshalJSON decodes a processor chain; p is reset first.
func (p *Processing[T]) UnmarshalJSON(b []byte) error { return decodeTop(b, p) }

// UnmarshalJSON decodes one processor; p is reset first.
func (p *Processor[T]) UnmarshalJSON(b []byte) error { return decodeTop(b, p) }

// MarshalJSON writes the set fields in ai-runner's order and format, byte
// for byte what ai-runner's model_dump_json(exclude_unset=True) writes.
// json.Marshal (and an Encoder without SetEscapeHTML(false)) then escapes
// '<', '>', '&', U+2028 and U+2029 as \u003c and so on: the same JSON
// values, different bytes.
func (p Params) MarshalJSON() ([]byte, error) { return appendAny(nil, p), nil }

// MarshalJSON writes the set fields in ai-runner's order and format.
func (c ControlNet) MarshalJSON() ([]byte, error) { return appendAny(nil, c), nil }

// MarshalJSON writes the set fields in ai-runner's order and format.
func (a IPAdapter) MarshalJSON() ([]byte, error) { return appendAny(nil, a), nil }

// MarshalJSON writes the set fields in ai-runner's order and format.
func (c CachedAttention) MarshalJSON() ([]byte, error) { return appendAny(nil, c), nil }

// MarshalJSON writes the set fields in ai-runner's order and format.
func (p Processing[T]) MarshalJSON() ([]byte, error) { return appendAny(nil, p), nil }

// MarshalJSON writes the set fields in ai-runner's order and format.
func (p Processor[T]) MarshalJSON() ([]byte, error) { return appendAny(nil, p), nil }

// decodeTop decodes b into the struct *dst, zeroing it first.
func decodeTop[T any](b []byte, dst *T) error {
	var z T
	*dst = z
	return decodeStruct(b, reflect.ValueOf(dst).Elem(), "")
}

// decodeStruct decodes a JSON object into the struct v, field by field.
func decodeStruct(raw []byte, v reflect.Value, path string) error {
	t := v.Type()
	if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || trimmed[0] != '{' {
		return &FieldError{Field: path, Value: rawValue(raw), Allowed: "a JSON object"}
	}
	return walkObject(raw, func(key string, val json.RawMessage) error {
		fpath := joinPath(path, key)
		idx := fieldIndex(t, key)
		if idx < 0 {
			return &FieldError{Field: fpath, Value: rawValue(val), Allowed: "no such field (ai-runner forbids extra fields)"}
		}
		sf := t.Field(idx)
		fv := v.Field(idx)
		if opt, ok := fv.Addr().Interface().(optional); ok {
			if isNull(val) {
				if sf.Tag.Get("sd") != "nullable" {
					return &FieldError{Field: fpath, Value: nil, Allowed: describe(reflect.TypeOf(opt.target()).Elem()) + " (not null)"}
				}
				opt.setNull()
				return nil
			}
			if err := decodeInto(val, opt.target(), fpath); err != nil {
				return err
			}
			opt.setValue()
			return nil
		}
		if isNull(val) {
			return &FieldError{Field: fpath, Value: nil, Allowed: describe(sf.Type) + " (not null)"}
		}
		return decodeInto(val, fv.Addr().Interface(), fpath)
	})
}

// decodeInto decodes one value into ptr: structs of this package field by
// field, slices of them element by element, pointers to them allocated,
// integers leniently, anything else with encoding/json.
func decodeInto(raw []byte, ptr any, path string) error {
	v := reflect.ValueOf(ptr).Elem()
	t := v.Type()
	switch {
	case t == rawMessageType:
		if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || trimmed[0] != '{' {
			return &FieldError{Field: path, Value: rawValue(raw), Allowed: "a JSON object"}
		}
		v.SetBytes(bytes.Clone(raw))
		return nil
	case !isOwnStruct(t) && t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType):
		// A value type with its own JSON form (Prompt, Seed, LoRAs, Opt).
		if err := json.Unmarshal(raw, ptr); err != nil {
			return &FieldError{Field: path, Value: rawValue(raw), Allowed: describe(t)}
		}
		return nil
	case isOwnStruct(t):
		return decodeStruct(raw, v, path)
	case t.Kind() == reflect.Pointer && isOwnStruct(t.Elem()):
		nv := reflect.New(t.Elem())
		if err := decodeStruct(raw, nv.Elem(), path); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	case t.Kind() == reflect.Slice && isOwnStruct(t.Elem()):
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return &FieldError{Field: path, Value: rawValue(raw), Allowed: "a list of objects"}
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			ipath := path + "[" + strconv.Itoa(i) + "]"
			if isNull(it) {
				return &FieldError{Field: ipath, Value: nil, Allowed: "a JSON object"}
			}
			if err := decodeStruct(it, out.Index(i), ipath); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case t.Kind() == reflect.Int:
		n, err := parseInt(raw)
		if err != nil {
			return &FieldError{Field: path, Value: rawValue(raw), Allowed: "an integer"}
		}
		v.SetInt(n)
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return &FieldError{Field: path, Value: rawValue(raw), Allowed: "a list of integers"}
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			n, err := parseInt(it)
			if err != nil {
				return &FieldError{Field: path + "[" + strconv.Itoa(i) + "]", Value: rawValue(it), Allowed: "an integer"}
			}
			out.Index(i).SetInt(n)
		}
		v.Set(out)
		return nil
	}
	if err := json.Unmarshal(raw, ptr); err != nil {
		return &FieldError{Field: path, Value: rawValue(raw), Allowed: describe(t)}
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// isOwnStruct reports the package's field-by-field structs (not the value
// types with their own JSON form, such as Prompt).
func isOwnStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Params]().PkgPath() {
		return false
	}
	_, own := reflect.New(t).Interface().(appender)
	return !own && t != reflect.TypeFor[LoRA]()
}

// fieldIndex returns the index of the field with JSON name key, or -1.
func fieldIndex(t reflect.Type, key string) int {
	for i := range t.NumField() {
		if jsonName(t.Field(i)) == key {
			return i
		}
	}
	return -1
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// rawValue is a JSON value as a FieldError's Value: decoded when short.
func rawValue(raw []byte) any {
	var v any
	if len(raw) <= 256 && json.Unmarshal(raw, &v) == nil {
		return v
	}
	if len(raw) > 64 {
		return string(raw[:64]) + "…"
	}
	return string(raw)
}

// describe names what a field of type t accepts.
func describe(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Prompt]():
		return "a string or a list of [text, weight] pairs"
	case reflect.TypeFor[Seed]():
		return "an integer or a list of [seed, weight] pairs"
	case reflect.TypeFor[LoRAs]():
		return "a JSON object of LoRA model to weight"
	case rawMessageType:
		return "a JSON object"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Pointer:
		return "a JSON object"
	}
	return fmt.Sprint(t)
}
