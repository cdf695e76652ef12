package trickle

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitNext waits (bounded) until the server's write head for the channel
// reaches at least next: the server has seen the first byte of seq next-1.
func waitNext(t *testing.T, ts *testServer, name string, next int) {
	t.Helper()
	require.Eventually(t, func() bool {
		c := ts.getChannel(name)
		if c == nil {
			return false
		}
		n, _ := c.state()
		return n >= next
	}, 10*time.Second, time.Millisecond, "server never saw seq %d", next-1)
}

// Every way a segment can be cut while its publisher is still writing it
// (evicted from the ring by a newer seq, closed by a Reset, by DELETE of the
// seq, or by the channel's close) must end its readers with an error, never
// a clean end of a truncated body, and must not be acknowledged to the
// publisher as stored.
func TestSegmentCutMidWriteIsAnErrorForEveryone(t *testing.T) {
	cuts := map[string]func(t *testing.T, ts *testServer, url string){
		"evicted": func(t *testing.T, ts *testServer, url string) {
			// seq 5 takes seq 0's ring slot.
			r := do(t, "POST", url+"/5", "five")
			require.Equal(t, 200, r.code)
		},
		"reset": func(t *testing.T, ts *testServer, url string) {
			r := do(t, "POST", url+"/1", "one", HeaderReset, "1")
			require.Equal(t, 200, r.code)
		},
		"delete-seq": func(t *testing.T, ts *testServer, url string) {
			require.Equal(t, 200, do(t, "DELETE", url+"/0", "").code)
		},
		"channel-closed": func(t *testing.T, ts *testServer, url string) {
			require.NoError(t, ts.CloseChannel("cut"))
		},
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			defer http.DefaultClient.CloseIdleConnections()
			ts := newTestServer(t, ServerConfig{})
			url := ts.channel(t, "cut")
			ctx := ctxT(t, 10*time.Second)
			p := newPub(t, url, PublisherConfig{FirstSeq: 0, NoReset: true})
			w, err := p.Next(ctx)
			require.NoError(t, err)
			require.Equal(t, 0, w.Seq())
			_, err = w.WriteContext(ctx, []byte("part"))
			require.NoError(t, err)
			waitNext(t, ts, "cut", 1)

			s := newSub(t, url, SubscriberConfig{Start: 0})
			seg, err := s.Next(ctx)
			require.NoError(t, err)
			defer seg.Close()
			head := make([]byte, 4)
			_, err = io.ReadFull(seg, head)
			require.NoError(t, err)
			require.Equal(t, "part", string(head))

			cut(t, ts, url)

			rest, err := io.ReadAll(seg)
			require.Error(t, err, "reader of a cut segment got a clean end after %d more bytes", len(rest))

			// The publisher goes on writing: what it writes after the cut is
			// not stored, so the segment must not be reported as stored.
			for range 100 {
				if _, err = w.WriteContext(ctx, bytes.Repeat([]byte("x"), 1024)); err != nil {
					break
				}
			}
			require.Error(t, w.Close(), "a segment cut on the server was acknowledged")
		})
	}
}

// A segment closed by DELETE or Reset before any byte (a skipped seq) is
// still a clean, empty segment for its readers.
func TestEmptySegmentClosedIsCleanForReaders(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "skip")
	require.Equal(t, 200, do(t, "POST", url+"/0", "zero").code)
	ctx := ctxT(t, 10*time.Second)
	s := newSub(t, url, SubscriberConfig{Start: 1})
	got := make(chan string, 1)
	go func() {
		seg, err := s.Next(ctx)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer seg.Close()
		b, err := io.ReadAll(seg)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- "ok:" + string(b)
	}()
	// seq 1 is pre-created by the waiting reader; a Reset on seq 2 closes it.
	require.Eventually(t, func() bool { return ts.getChannel("skip").lookup(1) != nil }, 5*time.Second, time.Millisecond)
	require.Equal(t, 200, do(t, "POST", url+"/2", "two", HeaderReset, "1").code)
	require.Equal(t, "ok:", <-got)
	_ = strings.TrimSpace
}
