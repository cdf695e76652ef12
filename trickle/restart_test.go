package trickle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// restartable is a trickle Server on a fixed loopback address that can be
// crashed (every connection dropped, the port closed) and started again
// with fresh state on the same port.
type restartable struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	srv  *Server
	hs   *httptest.Server
}

func newRestartable(t *testing.T, channels ...string) *restartable {
	t.Helper()
	// A port below the ephemeral range (32768-60999 on Linux), so that
	// while the server is down no outgoing connection (our own retries)
	// can be given its port, which would stop it from listening again.
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))); err == nil {
			break
		}
	}
	require.NoError(t, err)
	r := &restartable{t: t, addr: ln.Addr().String()}
	r.start(ln, channels)
	t.Cleanup(r.crash)
	return r
}

func (r *restartable) url(name string) string { return "http://" + r.addr + "/ai/trickle/" + name }

// start serves a fresh Server holding channels (as a server that restores
// its channels, or an orchestrator that re-creates them).
func (r *restartable) start(ln net.Listener, channels []string) {
	srv := NewServer(ServerConfig{BasePath: "/ai/trickle/"})
	for _, c := range channels {
		require.NoError(r.t, srv.CreateChannel(c, "video/mp2t"))
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	r.mu.Lock()
	r.srv, r.hs = srv, hs
	r.mu.Unlock()
}

// crash drops every connection and closes the port; nothing is ended
// cleanly.
func (r *restartable) crash() {
	r.mu.Lock()
	srv, hs := r.srv, r.hs
	r.srv, r.hs = nil, nil
	r.mu.Unlock()
	if hs == nil {
		return
	}
	hs.Listener.Close() // no new connection from here
	hs.CloseClientConnections()
	hs.Close()
	srv.Close()
}

// restart starts a fresh server on the same port.
func (r *restartable) restart(channels ...string) error {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		return err
	}
	r.start(ln, channels)
	return nil
}

// Issue 10 item 13: with default settings, a publisher and a subscriber
// ride out a trickle server restart of 500 ms (publishing every 50 ms) and
// of 3 s (publishing every second): nothing is terminal, every segment
// acknowledged after the restart reaches the subscriber intact, and no
// segment reaches it truncated as if complete.
func TestRideOutServerRestart(t *testing.T) {
	for _, tc := range []struct {
		down, every time.Duration
		after       int // segments published after the restart
	}{
		{500 * time.Millisecond, 50 * time.Millisecond, 10},
		{3 * time.Second, time.Second, 3},
	} {
		t.Run(fmt.Sprint("down=", tc.down), func(t *testing.T) {
			checkLeaks(t)
			srv := newRestartable(t, "r")
			url := srv.url("r")
			ctx := ctxT(t, 60*time.Second)
			p := newPub(t, url, PublisherConfig{})
			s := newSub(t, url, SubscriberConfig{Start: 0})

			type result struct {
				seq  int
				body string
				err  error
			}
			got := make(chan result, 100)
			go func() {
				defer close(got)
				for {
					seg, err := s.Next(ctx)
					if err != nil {
						got <- result{err: err}
						return
					}
					b, err := io.ReadAll(seg)
					seg.Close()
					got <- result{seq: seg.Seq(), body: string(b), err: err}
				}
			}()
			received := map[int]string{}
			wait := func(seq int) {
				t.Helper()
				for {
					if _, ok := received[seq]; ok {
						return
					}
					select {
					case r, ok := <-got:
						require.True(t, ok)
						if r.err != nil && r.seq == 0 && r.body == "" {
							require.NoError(t, r.err, "subscriber ended")
						}
						if r.err == nil {
							received[r.seq] = r.body
						}
					case <-ctx.Done():
						t.Fatalf("seq %d never received", seq)
					}
				}
			}
			acked := map[int]string{}
			publish := func(i int) error {
				w, err := p.Next(ctx)
				if err != nil {
					return err
				}
				body := fmt.Sprint("segment-", i)
				if _, err = w.WriteContext(ctx, []byte(body)); err != nil {
					_ = w.CloseContext(ctx)
					return err
				}
				if err = w.CloseContext(ctx); err == nil {
					acked[w.Seq()] = body
				}
				return err
			}
			for i := range 3 {
				require.NoError(t, publish(i))
			}
			wait(2)

			srv.crash()
			restarted := make(chan time.Time, 1)
			restartErr := make(chan error, 1)
			go func() {
				time.Sleep(tc.down) // the outage itself
				err := srv.restart("r")
				restartErr <- err
				if err == nil {
					restarted <- time.Now()
				}
			}()
			t.Cleanup(func() { <-restartErr }) // before the server's cleanup
			// Keep publishing through the outage at the same pace: writes
			// block while the server is away, then go on.
			var upAt time.Time
			var firstOK time.Duration
			for i, after := 3, 0; after < tc.after; i++ {
				err := publish(i)
				require.False(t, isTerminal(p), "publisher terminal: %v", err)
				if upAt.IsZero() {
					select {
					case upAt = <-restarted:
					default:
					}
				}
				if !upAt.IsZero() {
					after++
					if err == nil && firstOK == 0 {
						firstOK = time.Since(upAt)
					}
				}
				time.Sleep(tc.every)
			}
			t.Logf("outage %v: first acknowledged segment %v after the restart", tc.down, firstOK)
			last := 0
			for seq := range acked {
				last = max(last, seq)
			}
			wait(last)
			// Every acknowledged segment arrived intact, or its loss is
			// visible: counted as skipped (the publisher got more than the
			// ring ahead while the subscriber reconnected).
			missing := 0
			for seq, body := range acked {
				if b, ok := received[seq]; ok {
					require.Equal(t, body, b, "seq %d", seq)
				} else {
					missing++
				}
			}
			st := s.Stats()
			require.LessOrEqual(t, int64(missing), st.SkippedSegments, "acknowledged segments lost silently: received %v, stats %+v", received, st)
			t.Logf("outage %v: %d acknowledged segments, %d received, %d skipped (visible), publisher %+v",
				tc.down, len(acked), len(received), st.SkippedSegments, p.Stats())
			require.NoError(t, p.Close())
		})
	}
}

func isTerminal(p *Publisher) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.terminal != nil
}

// Retries are bounded by time, then a clear typed error: a publisher and a
// subscriber facing a server that stays down give up after RetryTimeout
// with ErrServerUnavailable.
func TestGiveUpAfterRetryTimeout(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String() + "/ch"
	ln.Close() // connection refused from now on
	const limit = 700 * time.Millisecond
	ctx := ctxT(t, 30*time.Second)

	p := newPub(t, url, PublisherConfig{FirstSeq: 1, RetryTimeout: limit})
	start := time.Now()
	err = p.Write(ctx, strings.NewReader("x"))
	took := time.Since(start)
	require.ErrorIs(t, err, ErrServerUnavailable)
	require.True(t, strings.HasPrefix(err.Error(), "trickle: "), err.Error())
	require.GreaterOrEqual(t, took, limit)
	require.Less(t, took, limit+5*time.Second)
	_, err = p.Next(ctx)
	require.ErrorIs(t, err, ErrServerUnavailable, "the publisher is terminal")

	s := newSub(t, url, SubscriberConfig{RetryTimeout: limit})
	start = time.Now()
	_, err = s.Next(ctx)
	took = time.Since(start)
	require.ErrorIs(t, err, ErrServerUnavailable)
	require.GreaterOrEqual(t, took, limit)
	require.Less(t, took, limit+5*time.Second)
}

// After a segment fails once bytes were sent, the publisher closes that
// seq on the server (DELETE {channel}/{seq}, as go-livepeer's gateway does
// with pendingPost.Close in server/ai_live_video.go), so readers of a
// server that leaves a failed segment open (go-livepeer's does) are not
// stalled on it.
func TestFailedSegmentIsClosedOnTheServer(t *testing.T) {
	checkLeaks(t)
	deleted := make(chan string, 4)
	var posts atomic.Int32
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete:
			deleted <- r.URL.Path
		case r.Method == http.MethodPost && seqOf(r.URL.Path) == "0":
			posts.Add(1)
			buf := make([]byte, 5)
			_, _ = io.ReadFull(r.Body, buf)
			hijackClose(w) // the connection dies mid-segment
		case r.Method == http.MethodPost:
			_, _ = io.Copy(io.Discard, r.Body)
		}
	})
	p := newPub(t, hs.URL+"/ch", PublisherConfig{FirstSeq: 0, NoReset: true})
	ctx := ctxT(t, 10*time.Second)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	for range 1000 {
		if _, err = w.WriteContext(ctx, make([]byte, 4096)); err != nil {
			break
		}
	}
	require.Error(t, w.CloseContext(ctx))
	select {
	case path := <-deleted:
		require.Equal(t, "/ch/0", path)
	case <-ctx.Done():
		t.Fatal("the failed seq was not closed on the server")
	}
	require.EqualValues(t, 1, posts.Load(), "a segment whose bytes were sent is not retried")
}

var _ = errors.Is
var _ = context.Background
