package streamdiffusion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The encoder writes JSON exactly as ai-runner's pydantic models dump it
// (model_dump_json(exclude_unset=True)): fields in declaration order, set
// fields only, no spaces, floats always with a fraction or an exponent
// (1.0, 0.00001, 1.5e-7, 1e+16), strings with only '"', '\\' and control
// characters escaped, free-form objects in their own key order.

// appender is implemented by the package's value types.
type appender interface {
	appendJSON(b []byte) []byte
}

// absenter reports a field that is left out of the JSON.
type absenter interface {
	absent() bool
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// appendAny appends v's JSON.
func appendAny(b []byte, v any) []byte { return appendValue(b, reflect.ValueOf(v)) }

func appendValue(b []byte, v reflect.Value) []byte {
	if !v.IsValid() {
		return append(b, "null"...)
	}
	if a, ok := v.Interface().(appender); ok {
		return a.appendJSON(b)
	}
	switch v.Kind() {
	case reflect.String:
		return appendString(b, v.String())
	case reflect.Float32, reflect.Float64:
		return appendFloat(b, v.Float())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(b, v.Int())
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return appendValue(b, v.Elem())
	case reflect.Slice:
		if v.Type() == rawMessageType {
			return appendRaw(b, v.Bytes())
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, v.Index(i))
		}
		return append(b, ']')
	case reflect.Struct:
		return appendStruct(b, v)
	}
	panic(fmt.Sprintf("streamdiffusion: cannot encode %s", v.Type()))
}

// appendStruct writes the JSON-tagged fields that are not absent, in order.
func appendStruct(b []byte, v reflect.Value) []byte {
	b = append(b, '{')
	first := true
	t := v.Type()
	for i := range t.NumField() {
		name := jsonName(t.Field(i))
		if name == "" {
			continue
		}
		fv := v.Field(i)
		if isAbsent(fv) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
		b = appendValue(b, fv)
	}
	return append(b, '}')
}

// jsonName returns a field's JSON name, "" for untagged fields.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// isAbsent reports whether a field is left out: an unset Opt, Prompt or
// Seed, an empty enumeration string, a nil slice or pointer.
func isAbsent(v reflect.Value) bool {
	if a, ok := v.Interface().(absenter); ok {
		return a.absent()
	}
	switch v.Kind() {
	case reflect.String:
		return v.Len() == 0
	case reflect.Slice, reflect.Pointer, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// appendFloat writes f as pydantic does: the shortest digits that read back
// as f, in plain notation with at least one decimal when the decimal
// exponent is in [-5, 16), otherwise as d.ddde±x. A non-finite f is null
// (pydantic's ser_json_inf_nan default); Validate rejects it.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±xx
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	if x >= -5 && x < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		b = append(b, s...)
		if !strings.ContainsRune(s, '.') {
			b = append(b, ".0"...)
		}
		return b
	}
	b = append(b, mant...)
	b = append(b, 'e')
	if x > 0 {
		b = append(b, '+')
	}
	return strconv.AppendInt(b, int64(x), 10)
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appendString writes s as a JSON string escaping only '"', '\\' and
// control characters (serde_json's, and so pydantic's, escaping); invalid
// UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// appendRaw re-encodes free-form JSON (a Dict[str, Any] of params.py) as
// Python reads and pydantic dumps it: key order kept (a repeated key keeps
// its first place and its last value), numbers with a fraction or an
// exponent as floats, other numbers as integers, strings re-escaped. Bytes
// that are not JSON are written as null (Validate rejects them).
func appendRaw(b []byte, raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return append(b, "null"...)
	}
	return appendRawValue(b, raw)
}

func appendRawValue(b []byte, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	switch raw[0] {
	case '{':
		type kv struct {
			k string
			v json.RawMessage
		}
		var kvs []kv
		_ = walkObject(raw, func(k string, v json.RawMessage) error {
			for i := range kvs {
				if kvs[i].k == k {
					kvs[i].v = v
					return nil
				}
			}
			kvs = append(kvs, kv{k, v})
			return nil
		})
		b = append(b, '{')
		for i, e := range kvs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e.k)
			b = append(b, ':')
			b = appendRawValue(b, e.v)
		}
		return append(b, '}')
	case '[':
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		b = append(b, '[')
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRawValue(b, it)
		}
		return append(b, ']')
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return appendString(b, s)
	case 't', 'f', 'n':
		return append(b, raw...)
	}
	s := string(raw)
	if strings.ContainsAny(s, ".eE") {
		f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow, written as null
		return appendFloat(b, f)
	}
	if strings.TrimLeft(s, "-0") == "" {
		return append(b, '0') // Python's int("-0") is 0
	}
	return append(b, s...)
}

// walkObject calls fn for each key of a JSON object, in order.
func walkObject(raw []byte, fn func(key string, v json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("want a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := fn(key, v); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// isNull reports whether raw is the JSON null.
func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

// parseInt reads a JSON integer, or an integral number (50.0), as pydantic's
// lax mode does.
func parseInt(raw []byte) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s[0] == '"' {
		return 0, errors.New("not a number")
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, errors.New("not a number")
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("not an integer")
	}
	return int64(f), nil
}
