package trickle

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pattern returns n bytes unique to seq, so bytes of one segment can never
// pass for another's.
func pattern(seq, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seq*131 + i/7)
	}
	return b
}

func mustWrite(t *testing.T, c *srvChannel, seq int) *srvSegment {
	t.Helper()
	s, err := c.getForWrite(seq)
	require.NoError(t, err)
	return s
}

func fill(s *srvSegment, data []byte) {
	for len(data) > 0 {
		k := copy(s.tail(), data)
		s.commit(k)
		data = data[k:]
	}
}

func readAllSeg(s *srvSegment) []byte {
	var out []byte
	var c segCursor
	for {
		d, closed, _, _ := s.read(&c)
		if len(d) == 0 && closed {
			return out
		}
		out = append(out, d...)
	}
}

// A reader holding an evicted segment keeps its pages: they are not handed
// to new segments until the last reference is gone.
func TestSegmentPagesKeptWhileReferenced(t *testing.T) {
	c := &srvChannel{}
	old := mustWrite(t, c, 0)
	want := pattern(0, 300<<10)
	fill(old, want)
	old.close()
	reader := old.acquire() // a GET still streaming seq 0
	old.release()           // the POST ended

	var cur segCursor
	first, _, _, _ := reader.read(&cur)
	require.NotEmpty(t, first)
	firstCopy := bytes.Clone(first)

	// Push seq 0 out of the ring and churn many segments through the pools.
	for seq := 1; seq <= 4*maxSegmentsPerChannel; seq++ {
		s := mustWrite(t, c, seq)
		fill(s, pattern(seq, 300<<10))
		s.close()
		s.release()
	}
	require.Nil(t, c.lookup(0))
	require.Equal(t, firstCopy, first, "a page of a referenced segment was reused")
	require.Equal(t, want, readAllSeg(reader), "evicted segment's bytes changed under its reader")

	reader.release()
	reader.mu.Lock()
	require.Nil(t, reader.pages, "pages not recycled after the last reference")
	reader.mu.Unlock()
}

// Evicting a segment nobody references recycles its pages at once, and a
// writer still holding it (a late POST) neither crashes nor writes into
// pages now owned by another segment.
func TestSegmentEvictedWhileWriting(t *testing.T) {
	c := &srvChannel{}
	w := mustWrite(t, c, 0) // POST of seq 0 holds a reference
	fill(w, pattern(0, 100<<10))
	for seq := 1; seq <= maxSegmentsPerChannel; seq++ {
		s := mustWrite(t, c, seq)
		s.release()
	}
	// seq 0 left the ring; its writer goes on and its data is dropped.
	fill(w, pattern(9, 100<<10))
	w.release()
	w.mu.Lock()
	require.Nil(t, w.pages)
	require.Equal(t, 100<<10, w.size)
	w.mu.Unlock()
	require.Nil(t, w.tail(), "tail of a recycled segment must be nil")

	s := mustWrite(t, c, 2*maxSegmentsPerChannel) // reuses recycled pages
	fill(s, pattern(10, 200<<10))
	s.close()
	require.Equal(t, pattern(10, 200<<10), readAllSeg(s))
	s.release()
}

// End to end: a subscriber that stalls in the middle of seq 0 while the
// publisher pushes seq 0 out of the ring (and its pages could be reused by
// later segments) reads seq 0's own bytes, or fails, but never gets others'.
func TestLateReaderOfEvictedSegment(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "late")
	ctx := ctxT(t, 20*time.Second)
	p := newPub(t, url, PublisherConfig{FirstSeq: 0, NoReset: true})
	s := newSub(t, url, SubscriberConfig{Start: 0})

	const size = 8 << 20 // larger than loopback socket buffers
	want0 := pattern(0, size)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, w.Seq())
	werr := make(chan error, 1)
	go func() {
		_, err := w.WriteContext(ctx, want0)
		if err == nil {
			err = w.Close()
		} else {
			_ = w.Close()
		}
		werr <- err
	}()
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	defer seg.Close()
	head := make([]byte, 4<<10)
	_, err = io.ReadFull(seg, head)
	require.NoError(t, err)
	require.Equal(t, want0[:len(head)], head)

	// The server's GET for seq 0 is now blocked writing to our socket.
	// Publish 6 more segments: seq 5 takes seq 0's ring slot.
	for i := 1; i <= maxSegmentsPerChannel+1; i++ {
		w, err := p.Next(ctx)
		require.NoError(t, err)
		_, err = w.WriteContext(ctx, pattern(w.Seq(), 1<<20))
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	require.Nil(t, ts.getChannel("late").lookup(0), "seq 0 should have left the ring")

	rest, err := io.ReadAll(seg)
	got := append(head, rest...)
	pubErr := <-werr
	if err == nil {
		require.Equal(t, len(want0), len(got), "a clean end must mean the whole segment")
		require.True(t, bytes.Equal(want0, got), "late reader got foreign bytes")
	} else {
		require.True(t, bytes.Equal(want0[:len(got)], got), "late reader got foreign bytes before the error %v", err)
	}
	if pubErr != nil {
		// The eviction cut the segment while it was still being written:
		// the reader must have seen an error too.
		require.Error(t, err, "publisher was refused (%v) but the reader got a clean end", pubErr)
	}
}
