package trickle

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/stretchr/testify/require"
)

// Issue 9: trickle.ErrClosed is the SDK's one ErrClosed (lperr.ErrClosed,
// re-exported as livepeer.ErrClosed), and every closed trickle object says
// so, with a "trickle: " message.
func TestEveryClosedObjectIsErrClosed(t *testing.T) {
	checkLeaks(t)
	require.True(t, ErrClosed == lperr.ErrClosed, "trickle.ErrClosed must be the same value as livepeer.ErrClosed")
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "c")
	ctx := ctxT(t, 10*time.Second)
	check := func(what string, err error) {
		t.Helper()
		require.Error(t, err, what)
		require.ErrorIs(t, err, lperr.ErrClosed, what)
		require.True(t, strings.HasPrefix(err.Error(), "trickle: "), "%s: %q", what, err.Error())
	}

	// Publisher and its writers.
	p, err := NewPublisher(url, PublisherConfig{})
	require.NoError(t, err)
	require.NoError(t, p.Write(ctx, strings.NewReader("zero")))
	done, err := p.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, done.Close())
	_, err = done.Write([]byte("after its own Close"))
	check("SegmentWriter.Write after its Close", err)
	w, err := p.Next(ctx)
	require.NoError(t, err)
	_, err = w.Write([]byte("part"))
	require.NoError(t, err)
	require.NoError(t, p.Close())
	_, err = p.Next(ctx)
	check("Publisher.Next after Close", err)
	check("Publisher.Write after Close", p.Write(ctx, strings.NewReader("x")))
	_, err = w.Write([]byte("more"))
	check("SegmentWriter.Write after Publisher.Close", err)

	// Subscriber and its segments.
	require.NoError(t, ts.CreateChannel("d", "video/mp2t"))
	p2 := newPub(t, ts.url+"d", PublisherConfig{})
	w2, err := p2.Next(ctx)
	require.NoError(t, err)
	_, err = w2.Write([]byte("part"))
	require.NoError(t, err)
	s, err := NewSubscriber(ts.url+"d", SubscriberConfig{Start: SeqCurrent})
	require.NoError(t, err)
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	_, err = io.ReadFull(seg, make([]byte, 4))
	require.NoError(t, err)
	own, err := NewSubscriber(ts.url+"d", SubscriberConfig{Start: SeqCurrent})
	require.NoError(t, err)
	ownSeg, err := own.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, ownSeg.Close())
	_, err = ownSeg.Read(make([]byte, 1))
	check("Segment.Read after its Close", err)
	require.NoError(t, own.Close())
	require.NoError(t, s.Close())
	_, err = s.Next(ctx)
	check("Subscriber.Next after Close", err)
	_, err = seg.Read(make([]byte, 1))
	check("Segment.Read after Subscriber.Close", err)
	for _, err := range ReadJSON(ctx, s, 0) {
		check("ReadJSON after Subscriber.Close", err)
	}

	// JSON writers and the server.
	cw, err := NewControlWriter(ts.url+"d", ControlConfig{})
	require.NoError(t, err)
	require.NoError(t, cw.Close())
	check("ControlWriter.Send after Close", cw.Send(ctx, map[string]any{"a": 1}))
	jw, err := NewJSONLWriter(ts.url+"d", JSONLConfig{})
	require.NoError(t, err)
	require.NoError(t, jw.Close())
	check("JSONLWriter.Write after Close", jw.Write(ctx, 1))
	require.NoError(t, ts.Close())
	check("Server.CreateChannel after Close", ts.CreateChannel("e", ""))
	_ = errors.Is
	_ = context.Background
}
