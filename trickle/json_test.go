package trickle

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonIter pulls messages from ReadJSON one at a time.
type jsonIter struct {
	next func() (json.RawMessage, error, bool)
	stop func()
}

func newJSONIter(t *testing.T, ctx context.Context, sub *Subscriber, max int) *jsonIter {
	next, stop := iter.Pull2(ReadJSON(ctx, sub, max))
	t.Cleanup(stop)
	return &jsonIter{next: next, stop: stop}
}

// Next returns the next message, or the iteration's error; io.EOF when it
// ended without an error (the clean end of the channel).
func (j *jsonIter) Next() (json.RawMessage, error) {
	m, err, ok := j.next()
	if !ok {
		return nil, io.EOF
	}
	return m, err
}

func collect(j *jsonIter, n int) (msgs []string, errs []error) {
	for len(msgs)+len(errs) < n {
		m, err := j.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			msgs = append(msgs, string(m))
		}
	}
	return msgs, errs
}

func TestControlWriterAndReader(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "control")
	ctx := ctxT(t, 5*time.Second)
	cw, err := NewControlWriter(url, ControlConfig{KeepaliveInterval: 40 * time.Millisecond})
	require.NoError(t, err)
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	r := newJSONIter(t, ctx, sub, 0)
	require.NoError(t, cw.Send(ctx, map[string]any{"type": "params", "prompt": "a cat"}))
	require.NoError(t, cw.Send(ctx, json.RawMessage(`{"n":2}`)))
	m, err := r.Next()
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"params","prompt":"a cat"}`, string(m))
	m, err = r.Next()
	require.NoError(t, err)
	require.Equal(t, `{"n":2}`, string(m))
	// Nothing sent for a while: keepalives flow.
	m, err = r.Next()
	require.NoError(t, err)
	require.Equal(t, `{"keep":"alive"}`, string(m))
	require.Error(t, cw.Send(ctx, func() {}), "unmarshalable")
	require.NoError(t, cw.Close())
	require.NoError(t, cw.Close())
	require.ErrorIs(t, cw.Send(ctx, 1), ErrClosed)
	// The iteration ends cleanly: the channel was deleted.
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
	}
	require.Equal(t, io.EOF, err, "ended without an error")
}

func TestReadJSONFramings(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "events")
	ctx := ctxT(t, 5*time.Second)
	p := newPub(t, url, PublisherConfig{})
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	r := newJSONIter(t, ctx, sub, 100)
	var msgs []string
	var errs []error
	for i, seg := range []string{
		`{"a":1}`,                    // one object per segment
		``,                           // empty segment
		"{\"b\":2}\n\n{\"c\":3}\n",   // JSONL with a blank line
		`{"d":4}` + "\n" + `{"e":5}`, // trailing line without newline
		`{"bad":`,                    // malformed
		`{"big":"` + strings.Repeat("x", 200) + `"}`,
		"  [1,2]  ",
	} {
		require.NoError(t, p.Write(ctx, strings.NewReader(seg)))
		if i == 3 { // stay within the ring of 5
			m, e := collect(r, 5)
			msgs, errs = append(msgs, m...), append(errs, e...)
		}
	}
	m, e := collect(r, 3)
	msgs, errs = append(msgs, m...), append(errs, e...)
	require.Equal(t, []string{`{"a":1}`, `{"b":2}`, `{"c":3}`, `{"d":4}`, `{"e":5}`, `[1,2]`}, msgs)
	require.Len(t, errs, 2)
	require.True(t, isDecodeErr(errs[0]), "%v", errs[0])
	require.ErrorIs(t, errs[1], ErrMessageTooLarge)
}

func TestReadJSONEndsOnClose(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "ev")
	ctx := ctxT(t, 5*time.Second)
	p, err := NewPublisher(url, PublisherConfig{})
	require.NoError(t, err)
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	require.NoError(t, p.Write(ctx, strings.NewReader(`{"x":1}`)))
	var got []string
	done := make(chan struct{})
	first := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range ReadJSON(ctx, sub, 0) {
			if !assert.NoError(t, err) {
				return
			}
			got = append(got, string(m))
			if len(got) == 1 {
				close(first)
			}
		}
	}()
	select { // the message was read; then the publisher ends the channel
	case <-first:
	case <-done:
	}
	require.NoError(t, p.Close())
	<-done
	require.Equal(t, []string{`{"x":1}`}, got)
}

func TestReadJSONContextCancel(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "ev")
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	p := newPub(t, url, PublisherConfig{})
	w, err := p.Next(ctxT(t, 3*time.Second))
	require.NoError(t, err)
	_, err = w.Write([]byte(`{"partial":`)) // a message still being written
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r := newJSONIter(t, ctx, sub, 0)
	_, err = r.Next()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = r.Next()
	require.Equal(t, io.EOF, err, "the iteration ended")
	require.NoError(t, w.Close())
}

func TestJSONLWriter(t *testing.T) {
	checkLeaks(t)
	// The reader may ask for the next segment after the writer removed the
	// channel: RememberClosed makes that a clean end, not a 404.
	ts := newTestServer(t, ServerConfig{RememberClosed: time.Minute})
	url := ts.channel(t, "data")
	ctx := ctxT(t, 5*time.Second)
	jw, err := NewJSONLWriter(url, JSONLConfig{Interval: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = jw.Close() })
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	r := newJSONIter(t, ctx, sub, 0)
	for i := range 5 {
		require.NoError(t, jw.Write(ctx, map[string]int{"i": i}))
	}
	// Messages stream out before the window closes.
	for i := range 5 {
		m, err := r.Next()
		require.NoError(t, err)
		require.JSONEq(t, `{"i":`+string(rune('0'+i))+`}`, string(m))
	}
	// The rotation closes the window holding the last message.
	k := sub.Seq() // the seq after that window's
	require.Eventually(t, func() bool {
		seg := ts.getChannel("data").lookup(k - 1)
		if seg == nil {
			return false
		}
		seg.mu.Lock()
		defer seg.mu.Unlock()
		return seg.closed
	}, 5*time.Second, time.Millisecond)
	require.NoError(t, jw.Write(ctx, "next window"))
	require.NoError(t, jw.Flush())
	m, err := r.Next()
	require.NoError(t, err)
	require.Equal(t, `"next window"`, string(m))
	require.Greater(t, sub.Seq(), k, "a new segment per window")
	require.NoError(t, jw.Close())
	require.ErrorIs(t, jw.Write(ctx, 1), ErrClosed)
	_, err = r.Next()
	require.Equal(t, io.EOF, err, "the channel ended cleanly")
}
