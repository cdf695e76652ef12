package trickle

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// idlePost opens POST url with a body that sends nothing until the returned
// function is called with the data (or "" to end it empty). The response
// (or error) arrives on the channel.
func idlePost(t *testing.T, ctx context.Context, url string) (send func(string), resp <-chan rawResp) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	require.NoError(t, err)
	out := make(chan rawResp, 1)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- rawResp{code: -1, body: err.Error()}
			return
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		out <- rawResp{r.StatusCode, r.Header, string(b)}
	}()
	t.Cleanup(func() { _ = pw.Close() })
	return func(s string) {
		if s != "" {
			_, _ = pw.Write([]byte(s))
		}
		_ = pw.Close()
	}, out
}

// Issue 10 item 8, raw: a second POST to a segment held by an idle
// pre-opened POST is the newest writer and wins (as in go-livepeer); its
// data is stored, never acknowledged and dropped.
func TestSecondPostOverIdlePreconnectWins(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{})
	u := ts.url + "ch"
	require.NoError(t, ts.CreateChannel("ch", "video/mp2t"))
	ctx := ctxT(t, 10*time.Second)
	send, idle := idlePost(t, ctx, u+"/0")
	require.Eventually(t, func() bool { // the idle POST reached the server
		s := ts.getChannel("ch").lookup(0)
		return s != nil && s.claimed()
	}, 5*time.Second, time.Millisecond)

	r := do(t, "POST", u+"/0", "hello")
	require.Equal(t, 200, r.code)
	require.Equal(t, "0", r.h.Get(HeaderSeq))
	require.Equal(t, "hello", do(t, "GET", u+"/0", "").body)
	require.Equal(t, "1", do(t, "GET", u+"/next", "").body)

	// The displaced idle POST is refused without taking a byte (409; our
	// publisher reads it as a skipped seq), and what it sends later is not
	// stored.
	old := <-idle
	require.Equal(t, http.StatusConflict, old.code)
	send("late")
	require.Equal(t, "hello", do(t, "GET", u+"/0", "").body)
}

// A POST to a seq whose segment is being written by another publisher is
// refused: two writers never interleave into one segment and the loser is
// never told its data was stored.
func TestSecondPostWhileWritingIsRefused(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{})
	u := ts.url + "ch"
	require.NoError(t, ts.CreateChannel("ch", "video/mp2t"))
	ctx := ctxT(t, 10*time.Second)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u+"/0", pr)
	require.NoError(t, err)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err == nil {
			r.Body.Close()
		}
	}()
	_, err = pw.Write([]byte("AAAA"))
	require.NoError(t, err)
	waitNext(t, ts, "ch", 1)

	r := do(t, "POST", u+"/0", "BBBB")
	require.Equal(t, http.StatusConflict, r.code, "second writer: %d %q", r.code, r.body)
	_, err = pw.Write([]byte("aaaa"))
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.Eventually(t, func() bool { return do(t, "GET", u+"/0", "").body == "AAAAaaaa" }, 5*time.Second, 5*time.Millisecond)
}

// Issue 10 item 8, client side: a restarted publisher (the old one not
// closed, its next seq pre-opened) writes at the same seq: its Write
// succeeds only if the segment is stored, and the subscriber gets it
// without stalling.
func TestRestartedPublisherOverOldPreconnect(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "re")
	ctx := ctxT(t, 20*time.Second)
	old := newPub(t, url, PublisherConfig{})
	for i := range 3 {
		require.NoError(t, old.Write(ctx, strings.NewReader(fmt.Sprint("A", i))))
	}
	// old now holds an idle POST for seq 3.
	require.Eventually(t, func() bool {
		s := ts.getChannel("re").lookup(3)
		return s != nil && s.claimed()
	}, 5*time.Second, time.Millisecond)

	s := newSub(t, url, SubscriberConfig{Start: 0})
	next := func() string {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		seq, body := readSeg(t, s, rctx)
		return fmt.Sprint(seq, ":", body)
	}
	for i := range 3 {
		require.Equal(t, fmt.Sprint(i, ":A", i), next())
	}
	restarted := newPub(t, url, PublisherConfig{})
	for i := range 5 {
		w, err := restarted.Next(ctx)
		require.NoError(t, err)
		_, err = w.WriteContext(ctx, []byte(fmt.Sprint("B", i)))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.Equal(t, w.Seq(), w.ReplySeq())
		require.Equal(t, fmt.Sprint(w.Seq(), ":B", i), next(), "the subscriber gets every acknowledged segment")
	}
}

// Issue 10 item 9: a late POST of an old, finished segment neither moves
// the write pointer back nor reaches a live-edge subscriber, and is not
// acknowledged. go-livepeer answers 200 and moves /next back.
func TestLatePostOfOldSegment(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{})
	u := ts.url + "c"
	require.NoError(t, ts.CreateChannel("c", "video/mp2t"))
	for i := range 4 {
		require.Equal(t, 200, do(t, "POST", fmt.Sprint(u, "/", i), fmt.Sprint("seg", i)).code)
	}
	require.Equal(t, "4", do(t, "GET", u+"/next", "").body)

	r := do(t, "POST", u+"/1", "dup")
	require.Equal(t, http.StatusConflict, r.code, "%q", r.body)
	require.Equal(t, "4", do(t, "GET", u+"/next", "").body, "write pointer moved backwards")
	require.Equal(t, "seg1", do(t, "GET", u+"/1", "").body)

	// A live-edge subscriber gets the next new segment, not old data.
	ctx := ctxT(t, 10*time.Second)
	s := newSub(t, u, SubscriberConfig{Start: SeqLive})
	got := make(chan string, 1)
	go func() {
		seg, err := s.Next(ctx)
		if err != nil {
			got <- err.Error()
			return
		}
		defer seg.Close()
		b, _ := io.ReadAll(seg)
		got <- fmt.Sprint(seg.Seq(), ":", string(b))
	}()
	require.Eventually(t, func() bool { return ts.getChannel("c").lookup(4) != nil }, 5*time.Second, time.Millisecond)
	require.Equal(t, 200, do(t, "POST", u+"/4", "seg4").code)
	require.Equal(t, "4:seg4", <-got)

	// An empty late POST of an old seq does not move the pointer either.
	require.Equal(t, http.StatusConflict, do(t, "POST", u+"/2", "").code)
	require.Equal(t, "5", do(t, "GET", u+"/next", "").body)
}

// A POST of a seq so old that its ring slot holds a newer segment is
// refused and leaves the newer segment alone (before, it evicted it).
func TestPostOlderThanTheRingIsRefused(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{})
	u := ts.url + "c"
	require.NoError(t, ts.CreateChannel("c", "video/mp2t"))
	for i := range 8 {
		require.Equal(t, 200, do(t, "POST", fmt.Sprint(u, "/", i), fmt.Sprint("seg", i)).code)
	}
	r := do(t, "POST", u+"/2", "old") // slot 2 holds seq 7
	require.Equal(t, http.StatusConflict, r.code, "%q", r.body)
	require.Equal(t, "seg7", do(t, "GET", u+"/7", "").body)
	require.Equal(t, "8", do(t, "GET", u+"/next", "").body)
	require.Equal(t, StatusSeqNotFound, do(t, "GET", u+"/2", "").code)
}

// A publisher whose pre-opened POST was taken over by another writer (409
// before any byte) skips that seq instead of failing its next segment.
func TestPublisherSkipsSeqTakenByAnotherWriter(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "take")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	require.NoError(t, p.Write(ctx, strings.NewReader("zero")))
	require.Eventually(t, func() bool { // p's seq 1 is pre-opened
		s := ts.getChannel("take").lookup(1)
		return s != nil && s.claimed()
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, 200, do(t, "POST", url+"/1", "other").code)
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.pending != nil && p.pending.finishedEarly()
	}, 5*time.Second, time.Millisecond)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, w.Seq())
	_, err = w.WriteContext(ctx, []byte("mine"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	s := newSub(t, url, SubscriberConfig{Start: 0})
	for _, want := range []string{"0:zero", "1:other", "2:mine"} {
		seq, body := readSeg(t, s, ctx)
		require.Equal(t, want, fmt.Sprint(seq, ":", body))
	}
}
