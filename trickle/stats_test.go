package trickle

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 17 item 1 (trickle part): Stats count exactly what was sent and
// received.
func TestStatsCountWhatWasSentAndReceived(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "stats")
	ctx := ctxT(t, 10*time.Second)
	start := time.Now()
	p := newPub(t, url, PublisherConfig{})
	s := newSub(t, url, SubscriberConfig{Start: 0})
	require.Zero(t, p.Stats().LastActivity)
	require.Zero(t, s.Stats().LastActivity)

	sizes := []int{1, 1000, 70 << 10, 0, 300 << 10}
	total := 0
	for i, n := range sizes {
		require.NoError(t, p.Write(ctx, bytes.NewReader(pattern(i, n))))
		total += n
		seg, err := s.Next(ctx)
		require.NoError(t, err)
		b, err := io.ReadAll(seg)
		seg.Close()
		require.NoError(t, err)
		require.Equal(t, n, len(b))
	}
	ps := p.Stats()
	require.Equal(t, PublisherStats{
		Segments: int64(len(sizes)), Bytes: int64(total), BytesSent: int64(total),
		LastActivity: ps.LastActivity,
	}, ps)
	require.False(t, ps.LastActivity.Before(start))
	require.False(t, ps.LastActivity.After(time.Now()))
	ss := s.Stats()
	require.Equal(t, SubscriberStats{Segments: int64(len(sizes)), Bytes: int64(total), LastActivity: ss.LastActivity}, ss)
	require.False(t, ss.LastActivity.Before(ps.LastActivity.Add(-time.Second)))

	// A segment read halfway counts the bytes read, no more.
	require.NoError(t, p.Write(ctx, strings.NewReader("0123456789")))
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	_, err = io.ReadFull(seg, make([]byte, 4))
	require.NoError(t, err)
	seg.Close()
	require.EqualValues(t, total+4, s.Stats().Bytes)
	require.EqualValues(t, len(sizes)+1, s.Stats().Segments)
}

// Retries, failed segments and skipped seqs are counted too.
func TestStatsCountRetriesFailuresAndSkips(t *testing.T) {
	checkLeaks(t)
	var seq0, get0 atomic.Int32
	hs := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && seqOf(r.URL.Path) == "next":
			w.Header().Set(HeaderLatest, "0")
		case r.Method == http.MethodPost && seqOf(r.URL.Path) == "0":
			if seq0.Add(1) == 1 {
				hijackClose(w) // before any byte: retried
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set(HeaderSeq, "0")
		case r.Method == http.MethodPost && seqOf(r.URL.Path) == "1":
			buf := make([]byte, 3)
			_, _ = io.ReadFull(r.Body, buf)
			hijackClose(w) // after bytes: the segment fails
		case r.Method == http.MethodPost && seqOf(r.URL.Path) == "2":
			w.Header().Set("Connection", "close")       // answer without reading the body
			http.Error(w, "taken", http.StatusConflict) // before any byte: skipped
		case r.Method == http.MethodPost:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set(HeaderSeq, seqOf(r.URL.Path))
		case r.Method == http.MethodGet && seqOf(r.URL.Path) == "0":
			if get0.Add(1) == 1 {
				http.Error(w, "busy", http.StatusBadGateway) // retried
				return
			}
			w.Header().Set(HeaderSeq, "0")
			_, _ = w.Write([]byte("zero"))
		case r.Method == http.MethodGet:
			<-r.Context().Done()
		}
	})
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, hs.URL+"/ch", PublisherConfig{NoReset: true, RetryDelay: time.Millisecond})
	w0, err := p.Next(ctx)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return seq0.Load() == 2 }, 5*time.Second, time.Millisecond)
	_, err = w0.WriteContext(ctx, []byte("zero"))
	require.NoError(t, err)
	require.NoError(t, w0.CloseContext(ctx))

	w1, err := p.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, w1.Seq())
	var sent int
	for range 1000 {
		n, err := w1.WriteContext(ctx, make([]byte, 4096))
		sent += n
		if err != nil {
			break
		}
	}
	require.Error(t, w1.CloseContext(ctx))

	require.Eventually(t, func() bool { // seq 2 was refused before any byte
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.pending != nil && p.pending.finishedEarly()
	}, 5*time.Second, time.Millisecond)
	w3, err := p.Next(ctx) // so Next skips it
	require.NoError(t, err)
	require.Equal(t, 3, w3.Seq())
	_, err = w3.WriteContext(ctx, []byte("three"))
	require.NoError(t, err)
	require.NoError(t, w3.CloseContext(ctx))

	ps := p.Stats()
	require.Equal(t, PublisherStats{
		Segments: 2, Bytes: 9, BytesSent: int64(9 + sent), FailedSegments: 1, SkippedSeqs: 1, Retries: 1,
		LastActivity: ps.LastActivity,
	}, ps, "sent %d bytes into the failed segment", sent)

	s := newSub(t, hs.URL+"/ch", SubscriberConfig{Start: 0, RetryDelay: time.Millisecond})
	seq, body := readSeg(t, s, ctx)
	require.Equal(t, "0:zero", fmt.Sprint(seq, ":", body))
	ss := s.Stats()
	require.Equal(t, SubscriberStats{Segments: 1, Bytes: 4, Retries: 1, LastActivity: ss.LastActivity}, ss)
}
