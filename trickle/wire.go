package trickle

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Header names and values of the trickle protocol (go-livepeer trickle/).
const (
	HeaderSeq         = "Lp-Trickle-Seq"
	HeaderLatest      = "Lp-Trickle-Latest"
	HeaderClosed      = "Lp-Trickle-Closed"
	HeaderReset       = "Lp-Trickle-Reset"
	HeaderExpect      = "Expect-Content"
	ClosedValue       = "terminated"
	StatusSeqNotFound = 470
)

// Special sequence numbers understood by trickle servers.
const (
	// SeqLive (-1) is the server's next write: a subscriber waits for the next
	// segment to be published (the live edge).
	SeqLive = -1
	// SeqCurrent (-2) is the segment currently being written (or 0).
	SeqCurrent = -2
)

// maxSeq bounds accepted sequence numbers so seq+1 never overflows.
const maxSeq = math.MaxInt64 / 2

// ParseSeq parses a segment index as found in a URL path or a trickle
// header. It accepts decimal integers in [-2, 2^62]; any other value
// (including other negative numbers, which crash go-livepeer's server)
// gives ok=false.
func ParseSeq(s string) (seq int, ok bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < SeqCurrent || n > maxSeq {
		return 0, false
	}
	return int(n), true
}

// headerSeq reads a non-negative sequence header; ok=false when absent or
// malformed.
func headerSeq(h http.Header, name string) (int, bool) {
	n, ok := ParseSeq(h.Get(name))
	if !ok || n < 0 {
		return 0, false
	}
	return n, true
}

// isClosed reports whether a response carries Lp-Trickle-Closed.
func isClosed(h http.Header) bool { return h.Get(HeaderClosed) != "" }

// segURL joins a channel URL and a sequence number.
func segURL(channel string, seq int) string {
	return strings.TrimSuffix(channel, "/") + "/" + strconv.Itoa(seq)
}
