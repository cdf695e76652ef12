// Package sse parses a text/event-stream body (the WHATWG "server-sent
// events" format) into events.
//
// The parser follows the HTML Living Standard's interpretation rules: lines
// end with CRLF, LF or CR; a leading UTF-8 byte order mark is skipped; lines
// starting with ':' are comments; "data" lines of one event are joined with
// "\n"; an empty line dispatches the event; a block without data is not
// dispatched; "id" values containing NUL are ignored; "retry" is taken only
// when it is all ASCII digits; unknown fields are ignored. At the end of the
// input an event that was not closed by an empty line is discarded, as the
// standard says (it may be a truncated one).
//
// Lines and events are bounded: a line or an event's data larger than the
// configured limit gives a *TooLargeError instead of growing memory without
// bound.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// DefaultMaxEventBytes is the default bound on one line and on one event's
// data (1 MiB).
const DefaultMaxEventBytes = 1 << 20

const initialBufferSize = 4 << 10

// ErrTooLarge is matched (errors.Is) by *TooLargeError.
var ErrTooLarge = errors.New("sse: line or event too large")

// TooLargeError reports a line, or the data of one event, longer than the
// reader's limit. The reader stops at it: every later Next returns it again.
type TooLargeError struct {
	Limit int // the bound, in bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("sse: line or event data longer than %d bytes", e.Limit)
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Event is one dispatched server-sent event.
type Event struct {
	// Event is the "event" field; empty means the default type "message".
	Event string
	// Data is the event's data lines joined with "\n".
	Data string
	// ID is the last event ID seen so far in the stream (it persists across
	// events, as the standard says), empty if none.
	ID string
	// Retry is the last reconnection time seen so far in the stream, 0 if none.
	Retry time.Duration
}

// Reader reads events from an io.Reader. A Reader is not safe for
// concurrent use.
type Reader struct {
	src   io.Reader
	limit int

	buf        []byte // buf[start:end] holds unread bytes
	start, end int
	skipLF     bool // the previous line ended with CR: a following LF belongs to it
	bomDone    bool
	err        error // sticky error from src (io.EOF included) or a limit error

	data      []byte // data buffer of the event being built
	hasData   bool
	eventType []byte
	lastID    string
	retry     time.Duration
	lastType  string // cache: the previous dispatched type, reused when equal
}

// NewReader returns a Reader of src that bounds lines and event data at
// maxEventBytes (DefaultMaxEventBytes when ≤ 0).
func NewReader(src io.Reader, maxEventBytes int) *Reader {
	if maxEventBytes <= 0 {
		maxEventBytes = DefaultMaxEventBytes
	}
	size := initialBufferSize
	if size > maxEventBytes+1 {
		size = maxEventBytes + 1
	}
	return &Reader{src: src, limit: maxEventBytes, buf: make([]byte, size)}
}

// Next returns the next event. At the end of the input it returns io.EOF;
// a read error from the source is returned as it is, and a too-long line or
// event gives a *TooLargeError. After an error every call returns the same
// error.
func (r *Reader) Next() (Event, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := r.processLine(line); err != nil {
			r.err = err
			return Event{}, err
		}
	}
}

// dispatch ends the current block; it reports false when the block had no data.
func (r *Reader) dispatch() (Event, bool) {
	if !r.hasData {
		r.eventType = r.eventType[:0]
		return Event{}, false
	}
	data := r.data
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	ev := Event{Data: string(data), ID: r.lastID, Retry: r.retry}
	if len(r.eventType) > 0 {
		if string(r.eventType) != r.lastType { // no allocation for the comparison
			r.lastType = string(r.eventType)
		}
		ev.Event = r.lastType
	}
	r.data = r.data[:0]
	r.hasData = false
	r.eventType = r.eventType[:0]
	return ev, true
}

func (r *Reader) processLine(line []byte) error {
	if line[0] == ':' {
		return nil // comment or keepalive
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) { // the conversion does not allocate in a switch
	case "data":
		if len(r.data)+len(value)+1 > r.limit+1 {
			return &TooLargeError{Limit: r.limit}
		}
		r.data = append(r.data, value...)
		r.data = append(r.data, '\n')
		r.hasData = true
	case "event":
		r.eventType = append(r.eventType[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			if string(value) != r.lastID {
				r.lastID = string(value)
			}
		}
	case "retry":
		if ms, ok := parseDigits(value); ok {
			r.retry = time.Duration(ms) * time.Millisecond
		}
	}
	return nil
}

// parseDigits parses a non-empty string of ASCII digits, saturating instead
// of overflowing.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	const maxMs = int64(1<<63-1) / int64(time.Millisecond)
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= maxMs {
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxMs {
		n = maxMs
	}
	return n, true
}

// readLine returns the next line without its terminator. The slice is valid
// until the next call.
func (r *Reader) readLine() ([]byte, error) {
	for {
		if r.start < r.end && r.skipLF {
			r.skipLF = false
			if r.buf[r.start] == '\n' {
				r.start++
			}
			continue
		}
		if r.start < r.end && !r.bomDone && !r.bomUndecided() {
			r.bomDone = true
			if bytes.HasPrefix(r.buf[r.start:r.end], bom) {
				r.start += len(bom)
			}
			continue
		}
		if r.start < r.end && r.bomDone {
			if line, ok := r.cutLine(); ok {
				return line, nil
			}
		}
		if r.end-r.start > r.limit {
			r.err = &TooLargeError{Limit: r.limit}
			return nil, r.err
		}
		if r.err != nil {
			return nil, r.err
		}
		r.fill()
	}
}

var bom = []byte("\xEF\xBB\xBF")

// bomUndecided reports whether the buffered start of the stream is a proper
// prefix of a byte order mark and more input may still come.
func (r *Reader) bomUndecided() bool {
	avail := r.buf[r.start:r.end]
	return len(avail) < len(bom) && r.err == nil && bytes.HasPrefix(bom, avail)
}

// cutLine takes one terminated line from the buffer.
func (r *Reader) cutLine() ([]byte, bool) {
	b := r.buf[r.start:r.end]
	i := bytes.IndexByte(b, '\n')
	var limit []byte
	if i >= 0 {
		limit = b[:i]
	} else {
		limit = b
	}
	if j := bytes.IndexByte(limit, '\r'); j >= 0 {
		line := b[:j]
		r.start += j + 1
		if j+1 < len(b) {
			if b[j+1] == '\n' {
				r.start++
			}
		} else {
			r.skipLF = true
		}
		return line, true
	}
	if i < 0 {
		return nil, false
	}
	r.start += i + 1
	return b[:i], true
}

// fill reads more input, compacting or growing the buffer (up to limit+1
// bytes of one pending line).
func (r *Reader) fill() {
	if r.start > 0 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		size := 2 * len(r.buf)
		if size > r.limit+1 {
			size = r.limit + 1
		}
		if size <= len(r.buf) { // cannot happen: readLine checks the limit first
			r.err = &TooLargeError{Limit: r.limit}
			return
		}
		nb := make([]byte, size)
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.err = io.ErrNoProgress
}
