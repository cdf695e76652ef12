package trickle

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// within runs f and fails if it takes longer than d.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("did not return within %v", d)
	}
}

func TestPublisherCloseStates(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		checkLeaks(t)
		ts := newTestServer(t, ServerConfig{})
		url := ts.channel(t, "c")
		p, err := NewPublisher(url, PublisherConfig{})
		require.NoError(t, err)
		within(t, 3*time.Second, func() { require.NoError(t, p.Close()) })
		require.NoError(t, p.Close()) // idempotent
		require.Empty(t, ts.Channels(), "Close deletes the channel")
	})
	t.Run("preconnected", func(t *testing.T) {
		checkLeaks(t)
		ts := newTestServer(t, ServerConfig{})
		url := ts.channel(t, "c")
		p, err := NewPublisher(url, PublisherConfig{})
		require.NoError(t, err)
		publish(t, p, ctxT(t, 3*time.Second), "x") // seq 1 now preconnected
		time.Sleep(20 * time.Millisecond)
		within(t, 3*time.Second, func() { require.NoError(t, p.Close()) })
	})
	t.Run("mid-write", func(t *testing.T) {
		checkLeaks(t)
		ts := newTestServer(t, ServerConfig{})
		url := ts.channel(t, "c")
		p, err := NewPublisher(url, PublisherConfig{})
		require.NoError(t, err)
		w, err := p.Next(ctxT(t, 3*time.Second))
		require.NoError(t, err)
		_, err = w.Write([]byte("partial"))
		require.NoError(t, err)
		within(t, 3*time.Second, func() { require.NoError(t, p.Close()) })
		_, err = w.Write([]byte("more"))
		require.Error(t, err)
		require.Error(t, w.Close())
		_, err = p.Next(context.Background())
		require.ErrorIs(t, err, ErrClosed)
	})
	t.Run("unreachable", func(t *testing.T) {
		checkLeaks(t)
		hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {})
		url := hs.URL + "/ch"
		hs.Close()
		p, err := NewPublisher(url, PublisherConfig{CloseTimeout: time.Second})
		require.NoError(t, err)
		within(t, 3*time.Second, func() { require.Error(t, p.Close()) })
	})
}

func TestSubscriberCloseStates(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		checkLeaks(t)
		s, err := NewSubscriber("http://127.0.0.1:1/ch", SubscriberConfig{})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, err = s.Next(context.Background())
		require.ErrorIs(t, err, ErrClosed)
	})
	t.Run("waiting", func(t *testing.T) {
		checkLeaks(t)
		ts := newTestServer(t, ServerConfig{})
		url := ts.channel(t, "c")
		s, err := NewSubscriber(url, SubscriberConfig{Start: SeqLive})
		require.NoError(t, err)
		errc := make(chan error, 1)
		go func() { _, err := s.Next(context.Background()); errc <- err }()
		time.Sleep(30 * time.Millisecond)
		within(t, 3*time.Second, func() { require.NoError(t, s.Close()) })
		require.ErrorIs(t, <-errc, ErrClosed)
	})
	t.Run("mid-read", func(t *testing.T) {
		checkLeaks(t)
		ts := newTestServer(t, ServerConfig{})
		url := ts.channel(t, "c")
		p := newPub(t, url, PublisherConfig{})
		ctx := ctxT(t, 3*time.Second)
		w, err := p.Next(ctx)
		require.NoError(t, err)
		_, err = w.Write([]byte("abc"))
		require.NoError(t, err)
		s, err := NewSubscriber(url, SubscriberConfig{Start: SeqCurrent})
		require.NoError(t, err)
		seg, err := s.Next(ctx)
		require.NoError(t, err)
		buf := make([]byte, 3)
		_, err = io.ReadFull(seg, buf)
		require.NoError(t, err)
		errc := make(chan error, 1)
		go func() { _, err := seg.Read(buf); errc <- err }() // blocks: no more data yet
		time.Sleep(20 * time.Millisecond)
		within(t, 3*time.Second, func() { require.NoError(t, s.Close()) })
		require.Error(t, <-errc)
		require.NoError(t, w.Close())
	})
	t.Run("ctx-cancel keeps position", func(t *testing.T) {
		checkLeaks(t)
		ts := newTestServer(t, ServerConfig{})
		url := ts.channel(t, "c")
		s := newSub(t, url, SubscriberConfig{Start: SeqLive})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := s.Next(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		p := newPub(t, url, PublisherConfig{})
		pubErr := make(chan error, 1)
		go func() { pubErr <- p.Write(ctxT(t, 3*time.Second), strings.NewReader("later")) }()
		seq, body := readSeg(t, s, ctxT(t, 3*time.Second))
		require.Equal(t, 0, seq)
		require.Equal(t, "later", body)
		require.NoError(t, <-pubErr)
	})
}

func TestServerCloseEndsWaitingRequests(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{RememberClosed: -1})
	url := ts.channel(t, "c")
	s := newSub(t, url, SubscriberConfig{Start: SeqLive})
	p := newPub(t, url, PublisherConfig{})
	publish(t, p, ctxT(t, 3*time.Second), "x") // leaves seq 1 preconnected
	errc := make(chan error, 1)
	go func() { _, err := s.Next(context.Background()); errc <- err }()
	// Wait until the subscriber's GET waits on seq 1 beside the pre-opened
	// POST.
	require.Eventually(t, func() bool { return requestsOn(ts, "c", 1) >= 2 }, 5*time.Second, time.Millisecond)
	within(t, 3*time.Second, func() { require.NoError(t, ts.Close()) })
	require.NoError(t, ts.Close())
	require.ErrorIs(t, <-errc, ErrEndOfStream)
	// A subscriber that asks after the Close gets 404, as on go-livepeer.
	late := newSub(t, url, SubscriberConfig{})
	_, err := late.Next(ctxT(t, 5*time.Second))
	require.ErrorIs(t, err, ErrStreamNotFound)
	require.NotErrorIs(t, err, ErrEndOfStream)
	require.ErrorIs(t, ts.CreateChannel("again", ""), ErrClosed)
}

func TestServerIdleSweep(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{IdleTimeout: 50 * time.Millisecond, SweepInterval: 10 * time.Millisecond})
	require.NoError(t, ts.CreateChannel("idle", ""))
	require.NoError(t, ts.CreateChannel("_internal", ""))
	require.Eventually(t, func() bool {
		ch := ts.Channels()
		return len(ch) == 1 && ch[0] == "_internal"
	}, 3*time.Second, 10*time.Millisecond)
}

func TestServerKeepaliveOnIdlePreconnect(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{KeepaliveInterval: 20 * time.Millisecond})
	url := ts.channel(t, "ka")
	var got1xx atomic.Int32
	pr, pw := io.Pipe()
	ctx := ctxT(t, 5*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/0", pr)
	require.NoError(t, err)
	req = req.WithContext(withTrace1xx(ctx, &got1xx))
	respc := make(chan *http.Response, 1)
	go func() {
		resp, err := ts.hs.Client().Do(req)
		if err == nil {
			respc <- resp
		} else {
			close(respc)
		}
	}()
	require.Eventually(t, func() bool { return got1xx.Load() >= 3 }, 3*time.Second, 5*time.Millisecond)
	_, err = pw.Write([]byte("late data"))
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	resp := <-respc
	require.NotNil(t, resp)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "0", resp.Header.Get(HeaderSeq))
	s := newSub(t, url, SubscriberConfig{Start: 0})
	_, body := readSeg(t, s, ctx)
	require.Equal(t, "late data", body)
}
