package trickle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "rt")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	s := newSub(t, url, SubscriberConfig{Start: 0})

	const n = 12 // more than the ring
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			seg, err := s.Next(ctx)
			if !assert.NoError(t, err) {
				return
			}
			b, err := io.ReadAll(seg)
			assert.NoError(t, err)
			seg.Close()
			assert.Equal(t, i, seg.Seq())
			assert.Equal(t, fmt.Sprintf("segment-%d", i), string(b))
		}
		_, err := s.Next(ctx)
		assert.ErrorIs(t, err, ErrEndOfStream)
	}()
	for i := range n {
		// Stay within the ring of 5 so the subscriber sees every segment.
		require.Eventually(t, func() bool { return s.Seq() >= i-3 }, 5*time.Second, time.Millisecond)
		require.Equal(t, i, publish(t, p, ctx, fmt.Sprintf("segment-%d", i)))
	}
	// Let the subscriber catch up before ending the channel.
	require.Eventually(t, func() bool { return s.Seq() == n }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, p.Close())
	wg.Wait()
	_, err := p.Next(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

func TestStreamingBeforeSegmentEnds(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "stream")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	subs := make([]*Subscriber, 8)
	for i := range subs {
		subs[i] = newSub(t, url, SubscriberConfig{Start: SeqCurrent})
	}
	w, err := p.Next(ctx)
	require.NoError(t, err)
	_, err = w.Write([]byte("hello "))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seg, err := s.Next(ctx)
			if !assert.NoError(t, err) {
				return
			}
			defer seg.Close()
			buf := make([]byte, 6)
			_, err = io.ReadFull(seg, buf) // before the segment ends
			assert.NoError(t, err)
			assert.Equal(t, "hello ", string(buf))
			rest, err := io.ReadAll(seg)
			assert.NoError(t, err)
			assert.Equal(t, "world", string(rest))
		}()
	}
	time.Sleep(50 * time.Millisecond)
	_, err = w.Write([]byte("world"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	wg.Wait()
}

func TestSubscriberJoinsMidSegment(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "mid")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	publish(t, p, ctx, "zero")
	w, err := p.Next(ctx)
	require.NoError(t, err)
	big := bytes.Repeat([]byte("x"), 100<<10)
	_, err = w.Write(big)
	require.NoError(t, err)
	// Write returning promises only that the bytes were handed to the
	// connection, not that the server has them: wait until it saw segment
	// 1's first byte (its write head moved to 2) before joining.
	waitNext(t, ts, "mid", 2)
	// Joins while segment 1 is being written: gets it from its first byte.
	s := newSub(t, url, SubscriberConfig{Start: SeqCurrent})
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, seg.Seq())
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(seg); done <- b }()
	_, err = w.Write([]byte("tail"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	got := <-done
	require.Equal(t, len(big)+4, len(got))
	require.True(t, strings.HasSuffix(string(got), "xtail"))
	seg.Close()
}

func TestMissingChannel404(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, ts.url+"nope", PublisherConfig{})
	// /next says 404; the publisher still tries the POST (a server with
	// Autocreate would accept it), whose 404 is terminal.
	w, err := p.Next(ctx)
	if err == nil {
		require.ErrorIs(t, w.Close(), ErrStreamNotFound)
		_, err = p.Next(ctx)
	}
	require.ErrorIs(t, err, ErrStreamNotFound)
	s := newSub(t, ts.url+"nope", SubscriberConfig{})
	_, err = s.Next(ctx)
	require.ErrorIs(t, err, ErrStreamNotFound)
	require.False(t, errors.Is(err, ErrEndOfStream))

	// Publisher with an explicit seq skips /next and sees the 404 on POST.
	p2 := newPub(t, ts.url+"nope", PublisherConfig{FirstSeq: 3})
	w, err = p2.Next(ctx)
	require.NoError(t, err)
	_, _ = w.Write([]byte("x"))
	require.ErrorIs(t, w.Close(), ErrStreamNotFound)
	_, err = p2.Next(ctx)
	require.ErrorIs(t, err, ErrStreamNotFound)
}

func TestEndOfStreamWhileWaiting(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{RememberClosed: -1})
	url := ts.channel(t, "eos")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	s := newSub(t, url, SubscriberConfig{Start: SeqLive})
	publish(t, p, ctx, "a")
	errc := make(chan error, 1)
	go func() {
		seg, err := s.Next(ctx) // waits for segment 1
		if seg != nil {
			seg.Close()
		}
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, p.Close())
	require.ErrorIs(t, <-errc, ErrEndOfStream)
	// A new subscriber after the channel was closed: 404, as on
	// go-livepeer (it never saw the channel: not found, not vanished).
	s2 := newSub(t, url, SubscriberConfig{})
	_, err := s2.Next(ctx)
	require.ErrorIs(t, err, ErrStreamNotFound)
	require.NotErrorIs(t, err, ErrStreamVanished)
}
