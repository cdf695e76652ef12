package trickle

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func collect(t *testing.T, r *JSONReader, ctx context.Context, n int) (msgs []string, errs []error) {
	t.Helper()
	for m, err := range r.All(ctx) {
		if err != nil {
			errs = append(errs, err)
		} else {
			msgs = append(msgs, string(m))
		}
		if len(msgs)+len(errs) == n {
			break
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
	r := NewJSONReader(sub, JSONReaderConfig{})
	require.NoError(t, cw.Send(ctx, map[string]any{"type": "params", "prompt": "a cat"}))
	require.NoError(t, cw.Send(ctx, json.RawMessage(`{"n":2}`)))
	m, err := r.Next(ctx)
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"params","prompt":"a cat"}`, string(m))
	m, err = r.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, `{"n":2}`, string(m))
	// Nothing sent for a while: keepalives flow.
	m, err = r.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, `{"keep":"alive"}`, string(m))
	require.Error(t, cw.Send(ctx, func() {}), "unmarshalable")
	require.NoError(t, cw.Close())
	require.NoError(t, cw.Close())
	require.ErrorIs(t, cw.Send(ctx, 1), ErrClosed)
	// The reader ends cleanly: the channel was deleted.
	for {
		_, err = r.Next(ctx)
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, err, ErrEndOfStream)
	require.NoError(t, r.Close())
}

func TestJSONReaderFramings(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "events")
	ctx := ctxT(t, 5*time.Second)
	p := newPub(t, url, PublisherConfig{})
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	r := NewJSONReader(sub, JSONReaderConfig{MaxMessageSize: 100})
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
			m, e := collect(t, r, ctx, 5)
			msgs, errs = append(msgs, m...), append(errs, e...)
		}
	}
	m, e := collect(t, r, ctx, 3)
	msgs, errs = append(msgs, m...), append(errs, e...)
	require.Equal(t, []string{`{"a":1}`, `{"b":2}`, `{"c":3}`, `{"d":4}`, `{"e":5}`, `[1,2]`}, msgs)
	require.Len(t, errs, 2)
	require.True(t, isDecodeErr(errs[0]), "%v", errs[0])
	require.ErrorIs(t, errs[1], ErrMessageTooLarge)
	require.NoError(t, r.Close())
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
	go func() {
		defer close(done)
		for m, err := range ReadJSON(ctx, sub) {
			if !assert.NoError(t, err) {
				return
			}
			got = append(got, string(m))
		}
	}()
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, p.Close())
	<-done
	require.Equal(t, []string{`{"x":1}`}, got)
}

func TestJSONReaderContextCancel(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "ev")
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	p := newPub(t, url, PublisherConfig{})
	w, err := p.Next(ctxT(t, 3*time.Second))
	require.NoError(t, err)
	_, err = w.Write([]byte(`{"partial":`)) // a message still being written
	require.NoError(t, err)
	r := NewJSONReader(sub, JSONReaderConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = r.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, w.Close())
}

func TestJSONLWriter(t *testing.T) {
	checkLeaks(t)
	ts := newTestServer(t, ServerConfig{})
	url := ts.channel(t, "data")
	ctx := ctxT(t, 5*time.Second)
	jw, err := NewJSONLWriter(url, JSONLConfig{Interval: 50 * time.Millisecond})
	require.NoError(t, err)
	sub := newSub(t, url, SubscriberConfig{Start: 0})
	r := NewJSONReader(sub, JSONReaderConfig{})
	for i := range 5 {
		require.NoError(t, jw.Write(ctx, map[string]int{"i": i}))
	}
	// Messages stream out before the window closes.
	for i := range 5 {
		m, err := r.Next(ctx)
		require.NoError(t, err)
		require.JSONEq(t, `{"i":`+string(rune('0'+i))+`}`, string(m))
	}
	time.Sleep(120 * time.Millisecond) // rotation closes the window
	require.NoError(t, jw.Write(ctx, "next window"))
	require.NoError(t, jw.Flush())
	m, err := r.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, `"next window"`, string(m))
	require.GreaterOrEqual(t, sub.Seq(), 2, "a new segment per window")
	require.NoError(t, jw.Close())
	require.ErrorIs(t, jw.Write(ctx, 1), ErrClosed)
	_, err = r.Next(ctx)
	require.True(t, errors.Is(err, ErrEndOfStream), "%v", err)
}
