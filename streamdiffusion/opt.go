package streamdiffusion

import "encoding/json"

// optState says whether an [Opt] holds a value, JSON null, or nothing.
type optState uint8

const (
	optUnset optState = iota
	optValue
	optNull
)

// Opt is an optional field. The zero value is unset: the field is left out
// of the JSON and ai-runner applies its default. Some sets a value; Null
// sends JSON null, which ai-runner accepts only where params.py types the
// field Optional (Validate rejects it elsewhere).
type Opt[T any] struct {
	v     T
	state optState
}

// Some returns an Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{v: v, state: optValue} }

// Null returns an Opt holding JSON null (Python's None).
func Null[T any]() Opt[T] { return Opt[T]{state: optNull} }

// Float returns an Opt holding v.
func Float(v float64) Opt[float64] { return Some(v) }

// Int returns an Opt holding v.
func Int(v int) Opt[int] { return Some(v) }

// Bool returns an Opt holding v.
func Bool(v bool) Opt[bool] { return Some(v) }

// String returns an Opt holding v.
func String(v string) Opt[string] { return Some(v) }

// Get returns the value and true when o holds one (not when unset or null).
func (o Opt[T]) Get() (T, bool) { return o.v, o.state == optValue }

// Or returns the value o holds, or def when it is unset or null.
func (o Opt[T]) Or(def T) T {
	if o.state == optValue {
		return o.v
	}
	return def
}

// IsSet reports whether o holds a value or null (it goes into the JSON).
func (o Opt[T]) IsSet() bool { return o.state != optUnset }

// IsNull reports whether o holds JSON null.
func (o Opt[T]) IsNull() bool { return o.state == optNull }

// MarshalJSON writes the value as ai-runner does (floats always with a
// fraction or an exponent), or null when o is null or unset.
func (o Opt[T]) MarshalJSON() ([]byte, error) { return o.appendJSON(nil), nil }

// UnmarshalJSON reads null or a value of T (an integer field also takes
// an integral number such as 50.0, as pydantic does).
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	var z T
	if isNull(b) {
		o.v, o.state = z, optNull
		return nil
	}
	if err := decodeInto(b, &z, ""); err != nil {
		return err
	}
	o.v, o.state = z, optValue
	return nil
}

// The methods the reflective encoder and decoder use.

func (o Opt[T]) absent() bool { return o.state == optUnset }

func (o Opt[T]) appendJSON(b []byte) []byte {
	if o.state != optValue {
		return append(b, "null"...)
	}
	return appendAny(b, o.v)
}

func (o *Opt[T]) target() any { return &o.v }
func (o *Opt[T]) setNull()    { var z T; o.v, o.state = z, optNull }
func (o *Opt[T]) setValue()   { o.state = optValue }

// optional is implemented by *Opt[T].
type optional interface {
	target() any
	setNull()
	setValue()
}

var _ json.Unmarshaler = (*Opt[int])(nil)
