package trickle

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// swapServer serves whichever trickle Server is current, so a test can
// "restart" the server (fresh state) without changing its address.
type swapServer struct {
	cur atomic.Pointer[Server]
	hs  *httptest.Server
}

func newSwapServer(t *testing.T) *swapServer {
	t.Helper()
	sw := &swapServer{}
	sw.cur.Store(NewServer(ServerConfig{BasePath: "/ai/trickle/"}))
	sw.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw.cur.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(func() { sw.cur.Load().Close(); sw.hs.Close() })
	return sw
}

// crash replaces the server with a fresh one (no channels) as a crash and
// restart would: connections in flight are dropped, nothing is ended
// cleanly. (Server.Close, by contrast, ends every channel with the
// end-of-stream signal.)
func (sw *swapServer) crash() *Server {
	old := sw.cur.Swap(NewServer(ServerConfig{BasePath: "/ai/trickle/"}))
	sw.hs.CloseClientConnections()
	old.Close()
	return sw.cur.Load()
}

// Issue 10 item 11: a channel that vanishes after it was seen (here: the
// server restarted without it) is an error the caller can tell apart from
// the clean end of the stream (go-livepeer's subscriber: StreamNotFoundErr
// on 404, EOS only on Lp-Trickle-Closed).
func TestSubscriberVanishedChannelIsNotACleanEnd(t *testing.T) {
	checkLeaks(t)
	sw := newSwapServer(t)
	require.NoError(t, sw.cur.Load().CreateChannel("v", "video/mp2t"))
	url := sw.hs.URL + "/ai/trickle/v"
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	require.NoError(t, p.Write(ctx, strings.NewReader("zero")))
	s := newSub(t, url, SubscriberConfig{Start: 0})
	seq, body := readSeg(t, s, ctx)
	require.Equal(t, "0:zero", fmt.Sprint(seq, ":", body))

	sw.crash()
	_, err := s.Next(ctx)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrEndOfStream), "a vanished channel reported as a clean end: %v", err)
	require.ErrorIs(t, err, ErrStreamNotFound)
	require.ErrorIs(t, err, ErrStreamVanished)
	require.True(t, strings.HasPrefix(err.Error(), "trickle: "), err.Error())
}

// The clean end is the server's end-of-stream signal, also for a
// subscriber whose request arrives after the publisher removed the
// channel, when the server remembers closed channels (RememberClosed; off
// by default, as on go-livepeer).
func TestSubscriberAfterChannelDeletedGetsCleanEnd(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{RememberClosed: time.Minute})
	url := ts.channel(t, "done")
	ctx := ctxT(t, 10*time.Second)
	p := newPub(t, url, PublisherConfig{})
	require.NoError(t, p.Write(ctx, strings.NewReader("zero")))
	s := newSub(t, url, SubscriberConfig{Start: 0})
	_, body := readSeg(t, s, ctx)
	require.Equal(t, "zero", body)
	require.NoError(t, p.Close())

	_, err := s.Next(ctx)
	require.ErrorIs(t, err, ErrEndOfStream)
	late := newSub(t, url, SubscriberConfig{Start: 0})
	_, err = late.Next(ctx)
	require.ErrorIs(t, err, ErrEndOfStream, "request after the DELETE")

	// The wire: GET and /next answer like a closed channel; POST is 404
	// with Lp-Trickle-Closed.
	r := do(t, "GET", url+"/1", "")
	require.Equal(t, 200, r.code)
	require.Equal(t, ClosedValue, r.h.Get(HeaderClosed))
	r = do(t, "GET", url+"/next", "")
	require.Equal(t, ClosedValue, r.h.Get(HeaderClosed))
	r = do(t, "POST", url+"/1", "x")
	require.Equal(t, 404, r.code)
	require.Equal(t, ClosedValue, r.h.Get(HeaderClosed))
	// Re-creating the name starts a new channel.
	require.NoError(t, ts.CreateChannel("done", "video/mp2t"))
	require.Equal(t, 470, do(t, "GET", url+"/3", "").code)
	http.DefaultClient.CloseIdleConnections()
}

// Issue 10 item 10: segments skipped because the publisher got more than
// the ring ahead are visible: on the segment after the gap, in Stats, and
// (opt-in) as a *SkipError from Next.
func TestSubscriberSkipsAreVisible(t *testing.T) {
	for _, report := range []bool{false, true} {
		t.Run(fmt.Sprint("ReportSkips=", report), func(t *testing.T) {
			checkLeaks(t)
			ts := newTestServer(t, ServerConfig{})
			url := ts.channel(t, "skip")
			ctx := ctxT(t, 10*time.Second)
			p := newPub(t, url, PublisherConfig{})
			s := newSub(t, url, SubscriberConfig{Start: 0, ReportSkips: report})
			require.NoError(t, p.Write(ctx, strings.NewReader("0")))
			seq, _ := readSeg(t, s, ctx)
			require.Equal(t, 0, seq)
			// The publisher runs 12 segments ahead of a ring of 5.
			for i := 1; i <= 12; i++ {
				require.NoError(t, p.Write(ctx, strings.NewReader(fmt.Sprint(i))))
			}
			// A subscriber behind the ring jumps to the live edge (as
			// go-livepeer's callers do, SetSeq(Latest)): seq 13, published
			// once it waits there.
			go func() {
				if assert.Eventually(t, func() bool { return s.Seq() == 13 }, 5*time.Second, time.Millisecond) {
					if err := p.Write(ctx, strings.NewReader("13")); !errors.Is(err, ErrClosed) {
						assert.NoError(t, err)
					}
				}
			}()
			last, skipped, reported, got := 0, 0, 0, 0
			var seqs []int
			for last < 13 {
				seg, err := s.Next(ctx)
				var se *SkipError
				if errors.As(err, &se) {
					require.True(t, report, "SkipError without ReportSkips")
					require.ErrorIs(t, err, ErrSegmentsSkipped)
					require.Equal(t, last+1+reported-skipped, se.From, "skips are contiguous")
					require.Greater(t, se.To, se.From)
					reported += se.To - se.From
					continue
				}
				require.NoError(t, err)
				b, err := io.ReadAll(seg)
				seg.Close()
				require.NoError(t, err)
				require.Equal(t, fmt.Sprint(seg.Seq()), string(b))
				gap := seg.Seq() - last - 1
				if report {
					require.Zero(t, seg.Skipped(), "reported by Next instead")
				} else {
					require.Equal(t, gap, seg.Skipped(), "segment %d", seg.Seq())
				}
				skipped += gap
				if report {
					require.Equal(t, skipped, reported, "every gap was reported before segment %d", seg.Seq())
				}
				if seg.Seq() < 13 {
					got++
				}
				last = seg.Seq()
				seqs = append(seqs, last)
			}
			// Seq 1 may come from the pre-opened GET; the rest left the ring.
			require.Equal(t, 12, skipped+got, "every seq read or counted as skipped: %v", seqs)
			require.Positive(t, skipped, "%v", seqs)
			require.EqualValues(t, skipped, s.Stats().SkippedSegments)
			if report {
				require.Equal(t, skipped, reported)
			}
		})
	}
}
