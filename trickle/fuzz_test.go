package trickle

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

func FuzzDecodeJSONSegment(f *testing.F) {
	for _, s := range []string{`{"a":1}`, "{\"a\":1}\n{\"b\":2}\n", "", "\n\n", `{"a":`, `[1,2] 3 "x"`, "{}{}", `{"keep":"alive"}`, "\x00"} {
		f.Add([]byte(s), 64)
	}
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = max%4096 + 1
		if max <= 0 {
			max += 4096
		}
		msgs, err := DecodeJSONSegment(b, max)
		for _, m := range msgs {
			if !json.Valid(m) {
				t.Fatalf("invalid message %q from %q", m, b)
			}
			if len(m) > max+64 {
				t.Fatalf("message of %d bytes over limit %d", len(m), max)
			}
		}
		if err == nil && len(msgs) == 0 {
			for _, c := range b {
				if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
					t.Fatalf("non-blank input %q gave no message and no error", b)
				}
			}
		}
	})
}

func FuzzParseSeq(f *testing.F) {
	for _, s := range []string{"0", "-1", "-2", "-3", "42", "", "abc", "99999999999999999999", " 7", "+5", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseSeq(s)
		if !ok {
			return
		}
		if n < SeqCurrent || n > maxSeq {
			t.Fatalf("ParseSeq(%q) = %d out of range", s, n)
		}
		if n2, ok2 := ParseSeq(strconv.Itoa(n)); !ok2 || n2 != n {
			t.Fatalf("round trip of %d failed", n)
		}
		h := http.Header{}
		h.Set(HeaderSeq, s)
		if v, ok := headerSeq(h, HeaderSeq); ok && v != n {
			t.Fatalf("headerSeq disagrees: %d vs %d", v, n)
		}
	})
}
