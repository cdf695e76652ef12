package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxInputBytes bounds a job's input read from a file or stdin (64 MiB).
const maxInputBytes = 64 << 20

// readInput returns a job's JSON input: the argument itself, "@path" for a
// file's contents, or "-" for stdin. It must be JSON (anything that is not
// is an *inputError saying where it broke).
func readInput(arg string, stdin io.Reader) (json.RawMessage, error) {
	what, data := "input", []byte(arg)
	switch {
	case arg == "-":
		what = "input from stdin"
		b, err := io.ReadAll(io.LimitReader(stdin, maxInputBytes+1))
		if err != nil {
			return nil, &inputError{what: what, err: err}
		}
		data = b
	case strings.HasPrefix(arg, "@"):
		what = "input file " + arg[1:]
		f, err := os.Open(arg[1:])
		if err != nil {
			return nil, &inputError{what: what, err: err}
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxInputBytes+1))
		if err != nil {
			return nil, &inputError{what: what, err: err}
		}
		data = b
	}
	if len(data) > maxInputBytes {
		return nil, &inputError{what: what, err: fmt.Errorf("larger than %d MiB", maxInputBytes>>20)}
	}
	data = bytes.TrimSpace(data)
	if err := checkJSON(data); err != nil {
		return nil, &inputError{what: what, err: err}
	}
	return json.RawMessage(data), nil
}

// checkJSON says where data stops being one JSON value.
func checkJSON(data []byte) error {
	if len(data) == 0 {
		return errors.New(`empty: give a JSON value such as '{"text":"hello"}', @file or - for stdin`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("not valid JSON at byte %d: %v (quote the argument in single quotes)", se.Offset, err)
		}
		return fmt.Errorf("not valid JSON: %v (quote the argument in single quotes)", err)
	}
	if dec.More() {
		return fmt.Errorf("not one JSON value: more follows at byte %d", dec.InputOffset())
	}
	return nil
}
