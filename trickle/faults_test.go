package trickle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubscriber470AheadDoesNotBurnBudget(t *testing.T) {
	checkLeaks(t)
	var calls atomic.Int32
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ch/5" { // the preconnect of 6
			<-r.Context().Done()
			return
		}
		if calls.Add(1) <= 12 { // a storm of "ahead" answers
			w.Header().Set(HeaderSeq, "5")
			w.Header().Set(HeaderLatest, "3")
			w.WriteHeader(StatusSeqNotFound)
			_, _ = w.Write([]byte("Entry not found"))
			return
		}
		w.Header().Set(HeaderSeq, "5")
		_, _ = w.Write([]byte("five"))
	})
	s := newSub(t, hs.URL+"/ch", SubscriberConfig{Start: 5, RetryTimeout: time.Millisecond, AheadDelay: 2 * time.Millisecond})
	seq, body := readSeg(t, s, ctxT(t, 5*time.Second))
	require.Equal(t, 5, seq)
	require.Equal(t, "five", body)
}

func TestSubscriber470BehindJumpsToLatest(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "behind")
	ctx := ctxT(t, 5*time.Second)
	p := newPub(t, url, PublisherConfig{})
	for i := range 8 {
		publish(t, p, ctx, fmt.Sprint(i))
	}
	s := newSub(t, url, SubscriberConfig{Start: 0}) // 0 left the ring of 5
	got := make(chan string, 1)
	go func() {
		seq, body := readSeg(t, s, ctx)
		got <- fmt.Sprint(seq, ":", body)
	}()
	// Once it jumped to the live edge (seq 8), the next segment reaches it.
	require.Eventually(t, func() bool { return s.Seq() == 8 && requestsOn(ts, "behind", 8) >= 1 }, 5*time.Second, time.Millisecond)
	publish(t, p, ctx, "late")
	require.Equal(t, "8:late", <-got)
}

func TestSubscriber470StormEndsWithContext(t *testing.T) {
	checkLeaks(t)
	var n atomic.Int64
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		// Always "behind" with an ever-moving latest.
		w.Header().Set(HeaderLatest, fmt.Sprint(n.Add(1)*10))
		w.WriteHeader(StatusSeqNotFound)
	})
	s := newSub(t, hs.URL+"/ch", SubscriberConfig{AheadDelay: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestSubscriberGivesUpAfterFailures(t *testing.T) {
	checkLeaks(t)
	var calls atomic.Int32
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "boom", http.StatusBadGateway)
	})
	s := newSub(t, hs.URL+"/ch", SubscriberConfig{RetryTimeout: 200 * time.Millisecond, RetryDelay: time.Millisecond})
	_, err := s.Next(ctxT(t, 5*time.Second))
	require.ErrorIs(t, err, ErrServerUnavailable)
	var se *StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusBadGateway, se.Code)
	require.GreaterOrEqual(t, calls.Load(), int32(2))
	require.EqualValues(t, calls.Load()-1, s.Stats().Retries)
}

func TestSubscriberRecoversFromConnectionReset(t *testing.T) {
	checkLeaks(t)
	var calls atomic.Int32
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			hijackClose(w)
			return
		}
		w.Header().Set(HeaderSeq, "0")
		_, _ = w.Write([]byte("ok"))
	})
	s := newSub(t, hs.URL+"/ch", SubscriberConfig{RetryDelay: time.Millisecond})
	_, body := readSeg(t, s, ctxT(t, 5*time.Second))
	require.Equal(t, "ok", body)
}

func TestSubscriberBadRequestIsFinal(t *testing.T) {
	checkLeaks(t)
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Invalid idx", http.StatusBadRequest)
	})
	s := newSub(t, hs.URL+"/ch", SubscriberConfig{})
	_, err := s.Next(ctxT(t, 5*time.Second))
	var se *StatusError
	require.ErrorAs(t, err, &se)
	_, err2 := s.Next(ctxT(t, time.Second))
	require.Equal(t, err, err2)
}

// postServer answers /next and hands POSTs to h.
func postServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, attempt int32)) *httptest.Server {
	var n atomic.Int32
	return rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && seqOf(r.URL.Path) == "next":
			w.Header().Set(HeaderLatest, "0")
		case r.Method == http.MethodPost:
			h(w, r, n.Add(1))
		}
	})
}

func TestPublisherRetriesWhenNoBodyConsumed(t *testing.T) {
	checkLeaks(t)
	got := make(chan string, 4)
	var seq0 atomic.Int32
	hs := postServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		if seqOf(r.URL.Path) != "0" {
			_, _ = io.Copy(io.Discard, r.Body) // preconnects idle until the end
			return
		}
		if seq0.Add(1) == 1 {
			hijackClose(w) // before reading a byte
			return
		}
		b, _ := io.ReadAll(r.Body)
		assert.Equal(t, "1", r.Header.Get(HeaderReset))
		got <- string(b)
		w.Header().Set(HeaderSeq, "0")
	})
	p := newPub(t, hs.URL+"/ch", PublisherConfig{RetryDelay: time.Millisecond})
	ctx := ctxT(t, 5*time.Second)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	// The first attempt dies while idle; it is retried before any write.
	require.Eventually(t, func() bool { return seq0.Load() == 2 }, 3*time.Second, 5*time.Millisecond)
	_, err = w.Write([]byte("payload"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.Equal(t, "payload", <-got)
	require.EqualValues(t, 2, seq0.Load())
	require.Equal(t, 0, w.ReplySeq())
}

func TestPublisherConnectionResetMidSegment(t *testing.T) {
	checkLeaks(t)
	var seg1 atomic.Value
	hs := postServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		switch seqOf(r.URL.Path) {
		case "0":
			buf := make([]byte, 5)
			_, _ = io.ReadFull(r.Body, buf)
			hijackClose(w)
		case "1":
			b, _ := io.ReadAll(r.Body)
			seg1.Store(string(b))
			w.Header().Set(HeaderSeq, "1")
		default:
			_, _ = io.Copy(io.Discard, r.Body)
		}
	})
	p := newPub(t, hs.URL+"/ch", PublisherConfig{RetryDelay: time.Millisecond})
	ctx := ctxT(t, 5*time.Second)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	var werr error
	for range 1000 {
		if _, werr = w.Write(bytes.Repeat([]byte("x"), 4096)); werr != nil {
			break
		}
	}
	require.Error(t, werr)
	require.Error(t, w.Close()) // bytes were sent: no retry of this seq
	// The publisher moves on to the next seq.
	require.Equal(t, 1, publish(t, p, ctx, "next"))
	require.Equal(t, "next", seg1.Load())
}

func TestPublisherRetryBudgetAndTerminal(t *testing.T) {
	checkLeaks(t)
	var posts atomic.Int32
	hs := postServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		posts.Add(1)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	p := newPub(t, hs.URL+"/ch", PublisherConfig{RetryDelay: time.Millisecond, RetryTimeout: 200 * time.Millisecond})
	ctx := ctxT(t, 5*time.Second)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	err = w.Close()
	require.ErrorIs(t, err, ErrServerUnavailable)
	var se *StatusError
	require.ErrorAs(t, err, &se, "the error wraps the last failure")
	require.Equal(t, http.StatusServiceUnavailable, se.Code)
	_, err = p.Next(ctx)
	require.ErrorIs(t, err, ErrServerUnavailable, "terminal")
	require.GreaterOrEqual(t, posts.Load(), int32(2))
}

func TestSlowServerBackpressure(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	hs := postServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		c, _, err := http.NewResponseController(w).Hijack()
		if assert.NoError(t, err) {
			mu.Lock()
			conns = append(conns, c) // never read again
			mu.Unlock()
		}
	})
	p := newPub(t, hs.URL+"/ch", PublisherConfig{})
	w, err := p.Next(ctxT(t, 5*time.Second))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	chunk := make([]byte, 64<<10)
	total := 0
	for {
		n, err := w.WriteContext(ctx, chunk)
		total += n
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			break
		}
		require.Less(t, total, 64<<20, "writes must block on a server that does not read")
	}
	// What was accepted is bounded by the socket buffers, not a queue.
	t.Logf("accepted %d bytes before blocking", total)
	start := time.Now()
	require.NoError(t, p.Close())
	require.Less(t, time.Since(start), 3*time.Second)
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, ErrClosed)
}

func TestServerRestartMidSegment(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	start := func(l net.Listener) (*Server, *httptest.Server) {
		srv := NewServer(ServerConfig{Autocreate: true})
		hs := httptest.NewUnstartedServer(srv)
		hs.Listener.Close()
		hs.Listener = l
		hs.Start()
		return srv, hs
	}
	srv1, hs1 := start(ln)
	url := "http://" + addr + "/ch"
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{RetryDelay: 5 * time.Millisecond})
	s := newSub(t, url, SubscriberConfig{Start: SeqCurrent, RetryDelay: 5 * time.Millisecond, AheadDelay: 5 * time.Millisecond})
	w, err := p.Next(ctx)
	require.NoError(t, err)
	_, err = w.Write([]byte("part"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { // the server got the first bytes
		c := srv1.getChannel("ch")
		if c == nil {
			return false
		}
		next, _ := c.state()
		return next == 1
	}, 3*time.Second, time.Millisecond)
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(seg, buf)
	require.NoError(t, err)

	// The server dies mid-segment (no new connection once the listener is
	// closed; then every connection drops).
	hs1.Listener.Close()
	hs1.CloseClientConnections()
	hs1.Close()
	srv1.Close()
	_, err = io.ReadAll(seg)
	require.Error(t, err, "truncated segment must not look complete")
	seg.Close()
	for i := 0; i < 100; i++ { // the writer notices once its connection is gone
		if _, err = w.Write([]byte("more")); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.Error(t, err)
	require.Error(t, w.Close())

	// It comes back on the same address (empty state, autocreate).
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv2, hs2 := start(ln2)
	t.Cleanup(func() { srv2.Close(); hs2.Close() })

	// The old subscriber keeps following the channel on the new server: it
	// gets the next segments and the clean end, or, when it asks before
	// the publisher re-created the channel there, learns that the channel
	// vanished; never a hang.
	old := make(chan error, 1)
	go func() {
		for {
			seg, err := s.Next(ctx)
			if err != nil {
				old <- err
				return
			}
			_, _ = io.ReadAll(seg)
			seg.Close()
		}
	}()

	// The publisher recovers once the new server is up (autocreate).
	require.Eventually(t, func() bool {
		err := p.Write(ctx, bytes.NewReader([]byte("after restart")))
		if err != nil {
			t.Logf("publish after restart: %v", err)
		}
		return err == nil
	}, 8*time.Second, 10*time.Millisecond)
	s2 := newSub(t, url, SubscriberConfig{Start: SeqCurrent})
	_, body := readSeg(t, s2, ctx)
	require.Equal(t, "after restart", body)
	require.NoError(t, p.Close())
	err = <-old
	require.True(t, errors.Is(err, ErrEndOfStream) || errors.Is(err, ErrStreamVanished), "%v", err)
}

func TestPublisherFasterThanSubscriber(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "fast")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	s := newSub(t, url, SubscriberConfig{Start: 0, AheadDelay: 5 * time.Millisecond})
	const n = 30
	for i := range 3 {
		publish(t, p, ctx, fmt.Sprint(i))
	}
	seqs := make(chan []int, 1)
	var last atomic.Int64
	go func() {
		var got []int
		defer func() { seqs <- got }()
		for {
			seg, err := s.Next(ctx)
			if err != nil {
				assert.ErrorIs(t, err, ErrEndOfStream)
				return
			}
			b, err := io.ReadAll(seg)
			seg.Close()
			assert.NoError(t, err)
			assert.Equal(t, fmt.Sprint(seg.Seq()), string(b))
			if len(got) > 0 { // each gap is on the segment after it
				assert.Equal(t, seg.Seq()-got[len(got)-1]-1, seg.Skipped(), "segment %d after %v", seg.Seq(), got)
			}
			got = append(got, seg.Seq())
			last.Store(int64(seg.Seq()))
			time.Sleep(20 * time.Millisecond) // slow consumer
		}
	}()
	for i := 3; i < 400 && last.Load() < n; i++ {
		publish(t, p, ctx, fmt.Sprint(i))
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, p.Close())
	got := <-seqs
	require.NotEmpty(t, got)
	gaps := 0 // joining late (before the first segment) is not a skip
	for i := 1; i < len(got); i++ {
		require.Greater(t, got[i], got[i-1], "monotonic: %v", got)
		gaps += got[i] - got[i-1] - 1
	}
	// Stats also count a last jump past the final segment received.
	require.GreaterOrEqual(t, s.Stats().SkippedSegments, int64(gaps), "every gap is counted: %v", got)
	require.Less(t, len(got), got[len(got)-1], "a slow subscriber skips segments that left the ring: %v", got)
	require.GreaterOrEqual(t, got[len(got)-1], n-1, "it keeps up with the edge: %v", got)
}

func TestEmptySegmentsTolerated(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "empty")
	ctx := ctxT(t, 5*time.Second)
	p := newPub(t, url, PublisherConfig{})
	publish(t, p, ctx, "zero")
	s := newSub(t, url, SubscriberConfig{Start: 1})
	// An empty segment (closed with no data) followed by a real one.
	w, err := p.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	publish(t, p, ctx, "two")
	seq, body := readSeg(t, s, ctx)
	require.Equal(t, 1, seq)
	require.Empty(t, body)
	seq, body = readSeg(t, s, ctx)
	require.Equal(t, 2, seq)
	require.Equal(t, "two", body)
}

func TestPublisherSkipsPreconnectClosedByServer(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "skip")
	ctx := ctxT(t, 5*time.Second)
	p := newPub(t, url, PublisherConfig{})
	require.Equal(t, 0, publish(t, p, ctx, "zero"))
	// seq 1 is preconnected; someone closes it on the server.
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest(http.MethodDelete, url+"/1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 2*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.pending != nil && p.pending.finishedEarly()
	}, 2*time.Second, 5*time.Millisecond)
	require.Equal(t, 2, publish(t, p, ctx, "two"))
	s := newSub(t, url, SubscriberConfig{Start: 2})
	_, body := readSeg(t, s, ctx)
	require.Equal(t, "two", body)
}

var _ = errors.Is
