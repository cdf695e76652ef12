package aipipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// The JSON form of the pipeline requests: the field names and shapes of
// ai-runner's OpenAPI document (the generated types' json tags), the same
// for every pipeline, JSON or multipart. A multipart pipeline's file
// (FileField: "image" or "audio") is a data: URL string in JSON
// (File.UnmarshalJSON), or a File value in a map (RequestFromMap).

// requestType returns the generated request type of p, nil for a pipeline
// that is not a built-in batch pipeline.
func requestType(p Pipeline) reflect.Type {
	switch p {
	case TextToImage:
		return reflect.TypeFor[TextToImageParams]()
	case ImageToImage:
		return reflect.TypeFor[BodyGenImageToImage]()
	case ImageToVideo:
		return reflect.TypeFor[BodyGenImageToVideo]()
	case Upscale:
		return reflect.TypeFor[BodyGenUpscale]()
	case AudioToText:
		return reflect.TypeFor[BodyGenAudioToText]()
	case SegmentAnything2:
		return reflect.TypeFor[BodyGenSegmentAnything2]()
	case LLM:
		return reflect.TypeFor[LLMRequest]()
	case ImageToText:
		return reflect.TypeFor[BodyGenImageToText]()
	case TextToSpeech:
		return reflect.TypeFor[TextToSpeechParams]()
	}
	return nil
}

var fileType = reflect.TypeFor[File]()

// FileField returns the JSON name of the file field of p's request
// ("image" for image-to-image, image-to-video, upscale, segment-anything-2
// and image-to-text; "audio" for audio-to-text), or "" for the JSON
// pipelines (text-to-image, llm, text-to-speech) and unknown ones.
func (p Pipeline) FileField() string {
	t := requestType(p)
	if t == nil {
		return ""
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Type == fileType {
			return jsonName(f)
		}
	}
	return ""
}

// DecodeRequest decodes data, the JSON of a p request ({"prompt": "a red
// fox", "width": 512}: the field names of ai-runner's OpenAPI document,
// which go-livepeer's orchestrator decodes), into the pipeline's request
// type (TextToImageParams, BodyGenImageToImage, LLMRequest...; a value, not
// a pointer), ready for Prepare. A file field holds a data: URL string
// (see File).
//
// Decoding is strict: a field the request type does not have, at any depth
// ("messages[0].rol"), is refused, and so is a field name that differs
// only in case. Every error is an *InputError (errors.Is ErrBadInput) whose
// Field names the offending field ("" for the whole request): invalid JSON
// (with its byte offset), JSON that is not one object, an unknown field
// (with the closest known name when there is one), a value of the wrong
// type, a file that is not a data: URL. An unknown pipeline is an *InputError
// too.
func DecodeRequest(p Pipeline, data []byte) (Request, error) {
	t := requestType(p)
	if t == nil {
		return nil, &InputError{Pipeline: p, Reason: "not a built-in batch AI pipeline"}
	}
	v, err := decodeInto(p, t, data)
	if err != nil {
		return nil, err
	}
	return v.Elem().Interface().(Request), nil
}

// RequestFromMap is DecodeRequest for a request held in a map: every value
// is what json.Marshal makes of it, except that the file field may hold a
// File or *File (or, as in JSON, a data: URL string). The same errors as
// DecodeRequest, plus a File under a key that is not the file field, and a
// value json.Marshal cannot encode.
func RequestFromMap(p Pipeline, m map[string]any) (Request, error) {
	t := requestType(p)
	if t == nil {
		return nil, &InputError{Pipeline: p, Reason: "not a built-in batch AI pipeline"}
	}
	if m == nil {
		return nil, &InputError{Pipeline: p, Reason: "no request (a nil map)"}
	}
	fields := jsonFields(t)
	rest := make(map[string]any, len(m))
	files := map[string]File{}
	for k, v := range m {
		switch f := v.(type) {
		case File:
			files[k] = f
		case *File:
			if f == nil {
				rest[k] = nil
			} else {
				files[k] = *f
			}
		default:
			rest[k] = v
		}
	}
	keys := slices.Sorted(maps.Keys(files))
	for _, k := range keys {
		sf, ok := fields[k]
		switch {
		case !ok:
			return nil, unknownField(p, t, k, k)
		case sf.Type != fileType:
			return nil, &InputError{Pipeline: p, Field: k, Reason: fmt.Sprintf("holds a File but is not a file field (%s)", fileFieldHint(p))}
		}
	}
	data, err := json.Marshal(rest)
	if err != nil {
		return nil, &InputError{Pipeline: p, Reason: "the map cannot be encoded as JSON", Err: err}
	}
	v, err := decodeInto(p, t, data)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		v.Elem().FieldByIndex(fields[k].Index).Set(reflect.ValueOf(files[k]))
	}
	return v.Elem().Interface().(Request), nil
}

// decodeInto decodes data into a new *t, strictly (see DecodeRequest).
func decodeInto(p Pipeline, t reflect.Type, data []byte) (reflect.Value, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return reflect.Value{}, &InputError{Pipeline: p, Reason: "empty: want a JSON object"}
	}
	if !json.Valid(data) {
		var x any
		err := json.Unmarshal(data, &x)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return reflect.Value{}, &InputError{Pipeline: p, Reason: fmt.Sprintf("not valid JSON at byte %d", se.Offset), Err: err}
		}
		return reflect.Value{}, &InputError{Pipeline: p, Reason: "not valid JSON", Err: err}
	}
	if data[0] != '{' {
		return reflect.Value{}, &InputError{Pipeline: p, Reason: "want a JSON object, got " + jsonKind(data)}
	}
	if err := checkFields(p, t, data, ""); err != nil {
		return reflect.Value{}, err
	}
	v := reflect.New(t)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // checkFields found none; this only keeps the guarantee
	if err := dec.Decode(v.Interface()); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return reflect.Value{}, &InputError{Pipeline: p, Field: te.Field, Reason: fmt.Sprintf("want %s, got JSON %s", describeType(te.Type), te.Value)}
		}
		return reflect.Value{}, &InputError{Pipeline: p, Reason: "decoding JSON", Err: err}
	}
	return v, nil
}

// checkFields walks raw (valid JSON) against t and refuses the first
// object key, in sorted order, that t has no field for; path is raw's
// place in the request ("", "messages[0]"). A file is checked to be a
// data: URL here, where its path is known. Values of the wrong shape are
// left to json.Decoder, which names them.
func checkFields(p Pipeline, t reflect.Type, raw json.RawMessage, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == fileType:
		if string(raw) == "null" {
			return nil
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return &InputError{Pipeline: p, Field: path, Reason: "want a data: URL string (data:image/png;base64,...), got JSON " + jsonKind(raw)}
		}
		if _, err := FileFromDataURL(s); err != nil {
			return &InputError{Pipeline: p, Field: path, Reason: "cannot read the file", Err: err}
		}
	case t.Kind() == reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, ok := fields[k]
			if !ok {
				return unknownField(p, t, joinPath(path, k), k)
			}
			if err := checkFields(p, f.Type, obj[k], joinPath(path, k)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return nil
		}
		for i, e := range arr {
			if err := checkFields(p, t.Elem(), e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// unknownField is the error for key (at path) that struct t has no field for.
func unknownField(p Pipeline, t reflect.Type, path, key string) *InputError {
	fields := jsonFields(t)
	names := slices.Sorted(maps.Keys(fields))
	if s := closest(key, names); s != "" {
		return &InputError{Pipeline: p, Field: path, Reason: fmt.Sprintf("unknown field; did you mean %q?", s)}
	}
	where := string(p)
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		where = path[:i]
	}
	return &InputError{Pipeline: p, Field: path, Reason: fmt.Sprintf("unknown field; %s takes %s", where, strings.Join(names, ", "))}
}

// closest returns the name in names that key most likely meant: the same
// but for case, else the nearest one edit away (two for keys of five
// characters or more; none for keys under three); "" when none is.
func closest(key string, names []string) string {
	limit := 1
	switch {
	case len(key) < 3:
		limit = 0
	case len(key) >= 5:
		limit = 2
	}
	best, bestD := "", limit+1
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
		if d := editDistance(strings.ToLower(key), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// jsonFields maps the JSON names of t's fields to the fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		if n := jsonName(f); n != "-" {
			out[n] = f
		}
	}
	return out
}

// jsonName is the name encoding/json gives f.
func jsonName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if tag == "" {
		return f.Name
	}
	return tag
}

func fileFieldHint(p Pipeline) string {
	if ff := p.FileField(); ff != "" {
		return fmt.Sprintf("%s's file goes in %q", p, ff)
	}
	return fmt.Sprintf("%s takes no file", p)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonKind names the kind of a JSON value by its first byte.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// describeType names what a Go type wants in JSON.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}
