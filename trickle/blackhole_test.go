package trickle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// blackhole is a listener that accepts connections and never reads from
// or writes to them (an orchestrator that stopped answering).
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// hangingServer answers nothing and never reads a request body: its
// handlers block until the test ends.
func hangingServer(t *testing.T) string {
	t.Helper()
	stop := make(chan struct{})
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(stop) })
	return hs.URL
}

// returnsBy fails the test unless f returns within d (a generous bound:
// the point is "promptly, not never").
func returnsBy[T any](t *testing.T, d time.Duration, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("blocked for more than %v", d)
		panic("unreachable")
	}
}

// Issue 10 item 2 at the trickle level: every blocking call honours its
// ctx against a black-holed server (connections accepted, never answered)
// and a server that reads nothing, returning context.DeadlineExceeded.
func TestBlockingCallsHonourContext(t *testing.T) {
	for name, base := range map[string]func(*testing.T) string{"blackhole": blackhole, "hanging": hangingServer} {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			url := base(t) + "/ch"
			short := func() context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			}
			const bound = 5 * time.Second

			// Publisher.Next resolving the first seq (GET /next).
			p := newPub(t, url, PublisherConfig{CloseTimeout: 300 * time.Millisecond})
			err := returnsBy(t, bound, func() error { _, err := p.Next(short()); return err })
			require.ErrorIs(t, err, context.DeadlineExceeded)

			// Publisher.Write of 64 MiB: more than any socket buffer.
			p2 := newPub(t, url, PublisherConfig{FirstSeq: 1, CloseTimeout: 300 * time.Millisecond})
			err = returnsBy(t, bound, func() error { return p2.Write(short(), bytes.NewReader(make([]byte, 64<<20))) })
			require.ErrorIs(t, err, context.DeadlineExceeded)

			// A small segment fits in the socket buffers, so its writes may
			// return; its CloseContext cannot succeed.
			w, err := p2.Next(short())
			require.NoError(t, err)
			_, _ = w.WriteContext(short(), []byte("small"))
			err = returnsBy(t, bound, func() error { return w.CloseContext(short()) })
			require.ErrorIs(t, err, context.DeadlineExceeded)
			err = returnsBy(t, bound, func() error { return p2.Write(short(), strings.NewReader("1000 bytes")) })
			require.ErrorIs(t, err, context.DeadlineExceeded, "a write that reached no server reported as a success")

			// Close is bounded by CloseTimeout.
			returnsBy(t, bound, func() error { return p.Close() })
			returnsBy(t, bound, func() error { return p2.Close() })

			// Subscriber.Next.
			s := newSub(t, url, SubscriberConfig{})
			err = returnsBy(t, bound, func() error { _, err := s.Next(short()); return err })
			require.ErrorIs(t, err, context.DeadlineExceeded)
			returnsBy(t, bound, func() error { return s.Close() })
		})
	}
}

// A segment whose server stops sending (a slowloris) cannot hold its
// reader: Read fails after StallTimeout with ErrStalled, and ReadContext
// returns at its ctx's end.
func TestSegmentReadIsBounded(t *testing.T) {
	checkLeaks(t)
	stop := make(chan struct{})
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderSeq, seqOf(r.URL.Path))
		_, _ = w.Write([]byte("head"))
		http.NewResponseController(w).Flush()
		select { // then nothing, ever
		case <-stop:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(stop) })
	ctx := ctxT(t, 10*time.Second)

	s := newSub(t, hs.URL+"/ch", SubscriberConfig{StallTimeout: 300 * time.Millisecond})
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(seg, buf)
	require.NoError(t, err)
	err = returnsBy(t, 5*time.Second, func() error { _, err := seg.Read(buf); return err })
	require.ErrorIs(t, err, ErrStalled)
	require.True(t, strings.HasPrefix(err.Error(), "trickle: "), err.Error())
	seg.Close()

	s2 := newSub(t, hs.URL+"/ch", SubscriberConfig{StallTimeout: -1}) // no idle bound
	seg, err = s2.Next(ctx)
	require.NoError(t, err)
	_, err = io.ReadFull(seg, buf)
	require.NoError(t, err)
	rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = returnsBy(t, 5*time.Second, func() error { _, err := seg.ReadContext(rctx, buf); return err })
	require.ErrorIs(t, err, context.DeadlineExceeded)
	seg.Close()
}

// What success promises. SegmentWriter.Write returning nil means the bytes
// were handed to the connection, no more. CloseContext returning nil means
// the server read the whole body and answered 200 for this seq: the
// segment is stored. Every other outcome is an error.
func TestSegmentClosePromise(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"stored": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set(HeaderSeq, seqOf(r.URL.Path))
		},
		"read all, then 500": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			http.Error(w, "boom", http.StatusInternalServerError)
		},
		"200 before the body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(HeaderSeq, seqOf(r.URL.Path))
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusOK)
		},
		"200 for another seq": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set(HeaderSeq, "99")
		},
		"connection dropped after the body": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			hijackClose(w)
		},
	} {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			hs := rawServer(t, h)
			p := newPub(t, hs.URL+"/ch", PublisherConfig{FirstSeq: 1, RetryTimeout: 300 * time.Millisecond})
			ctx := ctxT(t, 10*time.Second)
			w, err := p.Next(ctx)
			require.NoError(t, err)
			if name == "200 before the body" {
				// Wait until the early answer arrived, then write.
				require.Eventually(t, w.finishedEarly, 5*time.Second, time.Millisecond)
			}
			_, _ = w.WriteContext(ctx, []byte("data"))
			err = w.CloseContext(ctx)
			if name == "stored" {
				require.NoError(t, err)
				require.Equal(t, 1, w.ReplySeq())
				return
			}
			require.Error(t, err)
			require.False(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
		})
	}
}
