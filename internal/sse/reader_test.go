package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
)

// readAll reads every event until an error and returns both.
func readAll(r *Reader) ([]Event, error) {
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestReaderCases(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []Event
	}{
		{"simple", "data: hello\n\n", []Event{{Data: "hello"}}},
		{"multi-line data joined with LF", "data: a\ndata: b\ndata:c\n\n", []Event{{Data: "a\nb\nc"}}},
		{"event type and id", "event: token\nid: 7\ndata: x\n\n", []Event{{Event: "token", ID: "7", Data: "x"}}},
		{"id persists, type resets", "event: a\nid: 1\ndata: x\n\ndata: y\n\n",
			[]Event{{Event: "a", ID: "1", Data: "x"}, {ID: "1", Data: "y"}}},
		{"retry digits only", "retry: 1500\ndata: x\n\nretry: 12a\ndata: y\n\n",
			[]Event{{Data: "x", Retry: 1500 * time.Millisecond}, {Data: "y", Retry: 1500 * time.Millisecond}}},
		{"comments and keepalives ignored", ": ping\n:\ndata: x\n: mid\n\n", []Event{{Data: "x"}}},
		{"CRLF", "data: a\r\ndata: b\r\n\r\n", []Event{{Data: "a\nb"}}},
		{"CR only", "data: a\rdata: b\r\rdata: c\r\r", []Event{{Data: "a\nb"}, {Data: "c"}}},
		{"mixed endings", "data: a\r\ndata: b\rdata: c\n\r\n", []Event{{Data: "a\nb\nc"}}},
		{"BOM skipped once", "\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n", []Event{{Data: "a"}}},
		{"no space after colon", "data:x\n\n", []Event{{Data: "x"}}},
		{"only one leading space stripped", "data:  x \n\n", []Event{{Data: " x "}}},
		{"field without colon", "data\n\n", []Event{{Data: ""}}},
		{"empty data line then data", "data\ndata\n\n", []Event{{Data: "\n"}}},
		{"block without data not dispatched", "event: ping\n\ndata: x\n\n", []Event{{Data: "x"}}},
		{"unknown field ignored", "foo: bar\ndata: x\n\n", []Event{{Data: "x"}}},
		{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []Event{{ID: "1", Data: "a"}, {ID: "1", Data: "b"}}},
		{"empty id resets", "id: 1\ndata: a\n\nid\ndata: b\n\n", []Event{{ID: "1", Data: "a"}, {Data: "b"}}},
		{"missing final blank line discards", "data: a\n\ndata: b\n", []Event{{Data: "a"}}},
		{"missing final newline discards", "data: a\n\ndata: b", []Event{{Data: "a"}}},
		{"colon in value kept", "data: {\"a\":1}\n\n", []Event{{Data: `{"a":1}`}}},
		{"go-livepeer balance and done", "data: tok\n\ndata: {\"balance\": 1.000}\n\ndata: [DONE]\n\n",
			[]Event{{Data: "tok"}, {Data: `{"balance": 1.000}`}, {Data: "[DONE]"}}},
		{"insufficient balance event", "event: insufficient balance\ndata: {\"balance\": 0}\n\ndata: [DONE]\n\n",
			[]Event{{Event: "insufficient balance", Data: `{"balance": 0}`}, {Data: "[DONE]"}}},
		{"empty input", "", nil},
		{"blank lines only", "\n\n\r\n\r", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tc.in)
				if chunked {
					src = iotest.OneByteReader(src)
				}
				evs, err := readAll(NewReader(src, 0))
				require.ErrorIs(t, err, io.EOF)
				require.Equal(t, tc.want, evs, "chunked=%v", chunked)
			}
		})
	}
}

func TestReaderLongLineIsTypedError(t *testing.T) {
	long := "data: " + strings.Repeat("x", 100) + "\n\n"
	_, err := readAll(NewReader(strings.NewReader(long), 64))
	var tl *TooLargeError
	require.ErrorAs(t, err, &tl)
	require.Equal(t, 64, tl.Limit)
	require.ErrorIs(t, err, ErrTooLarge)

	// An endless line without terminator stops at the bound rather than growing memory.
	r := NewReader(io.MultiReader(strings.NewReader("data: "), infinite('x')), 1<<16)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrTooLarge)
	require.LessOrEqual(t, cap(r.buf), 1<<16+1)
	// Sticky.
	_, err2 := r.Next()
	require.ErrorIs(t, err2, ErrTooLarge)
}

func TestReaderEventDataBound(t *testing.T) {
	// Many short data lines whose total exceeds the limit.
	in := strings.Repeat("data: 0123456789\n", 20) + "\n"
	_, err := readAll(NewReader(strings.NewReader(in), 100))
	require.ErrorIs(t, err, ErrTooLarge)

	// Exactly at the limit is fine: a line of limit bytes.
	line := "data:" + strings.Repeat("y", 95) // 100 bytes
	evs, err := readAll(NewReader(strings.NewReader(line+"\n\n"), 100))
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, evs, 1)
	require.Len(t, evs[0].Data, 95)
}

func TestReaderReadErrorPassedThrough(t *testing.T) {
	boom := errors.New("boom")
	src := io.MultiReader(strings.NewReader("data: a\n\ndata: partial\n"), iotest.ErrReader(boom))
	evs, err := readAll(NewReader(src, 0))
	require.ErrorIs(t, err, boom)
	require.Equal(t, []Event{{Data: "a"}}, evs)
}

func TestReaderDataErrReader(t *testing.T) {
	// Data and EOF returned together.
	evs, err := readAll(NewReader(iotest.DataErrReader(strings.NewReader("data: a\r\n\r\n")), 0))
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, []Event{{Data: "a"}}, evs)
}

func TestReaderCRAtChunkBoundary(t *testing.T) {
	// "a\r" in one read and "\n" in the next must be one line ending, not two.
	src := io.MultiReader(strings.NewReader("data: a\r"), strings.NewReader("\ndata: b\r"), strings.NewReader("\n\r\n"))
	evs, err := readAll(NewReader(src, 0))
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, []Event{{Data: "a\nb"}}, evs)
}

type infinite byte

func (b infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// reference is a deliberately naive implementation of the same rules,
// working on the whole input at once; the fuzz target compares against it.
func reference(in string, limit int) ([]Event, bool) {
	in = strings.TrimPrefix(in, "\xEF\xBB\xBF")
	// Split into terminated lines; the unterminated tail is dropped.
	var lines []string
	tooLong := false
	for {
		i := strings.IndexAny(in, "\r\n")
		if i < 0 {
			tooLong = len(in) > limit
			break
		}
		if i > limit {
			tooLong = true
			break
		}
		lines = append(lines, in[:i])
		if in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n' {
			i++
		}
		in = in[i+1:]
	}
	var evs []Event
	var data strings.Builder
	hasData := false
	typ, id := "", ""
	var retry time.Duration
	for _, l := range lines {
		if l == "" {
			if hasData {
				d := strings.TrimSuffix(data.String(), "\n")
				evs = append(evs, Event{Event: typ, Data: d, ID: id, Retry: retry})
			}
			data.Reset()
			hasData, typ = false, ""
			continue
		}
		if l[0] == ':' {
			continue
		}
		f, v, _ := strings.Cut(l, ":")
		v = strings.TrimPrefix(v, " ")
		switch f {
		case "data":
			if data.Len()+len(v) > limit {
				return evs, false
			}
			data.WriteString(v + "\n")
			hasData = true
		case "event":
			typ = v
		case "id":
			if !strings.Contains(v, "\x00") {
				id = v
			}
		case "retry":
			if ms, ok := parseDigits([]byte(v)); ok {
				retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return evs, !tooLong
}

func FuzzReader(f *testing.F) {
	seeds := []string{
		"data: hello\n\n", "data: a\r\ndata: b\r\n\r\n", "data: a\rdata: b\r\r", "\xEF\xBB\xBFdata: x\n\n",
		": keepalive\n\n", "event: e\nid: 1\nretry: 10\ndata: d\n\n", "data\n\n", "id: \x00\n\n",
		"data: " + strings.Repeat("z", 80) + "\n\n", "retry: 99999999999999999999999\ndata: x\n\n", "\r\n\r", "\xEF\xBB",
	}
	for _, s := range seeds {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, in string, chunk uint8) {
		const limit = 64
		want, ok := reference(in, limit)
		var src io.Reader = strings.NewReader(in)
		if chunk%4 == 1 {
			src = iotest.OneByteReader(src)
		} else if chunk%4 == 2 {
			src = iotest.HalfReader(src)
		}
		got, err := readAll(NewReader(src, limit))
		if ok {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("unexpected error %v for %q", err, in)
			}
			require.Equal(t, want, got)
			return
		}
		// Over the limit: the reader must say so, after at most the reference's events.
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("want ErrTooLarge, got %v for %q", err, in)
		}
		require.LessOrEqual(t, len(got), len(want))
		require.Equal(t, want[:len(got)], got)
	})
}

func BenchmarkReader(b *testing.B) {
	var buf bytes.Buffer
	const n = 1000
	for range n {
		buf.WriteString("data: {\"token\":\"hello world\",\"index\":12345}\n\n")
	}
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		r := NewReader(bytes.NewReader(in), 0)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			events++
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
