package livepeer_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// TestLiveBYOCStream runs a BYOC stream end to end: the initial params
// reach the worker as go-livepeer's gateway sends them ({"params": ...}),
// media goes through, Update reaches the worker, payments run, and Close
// ends the stream with the stop request first, so the orchestrator records
// "stopped" every time (before: the channel delete and the stop raced, and
// the end reason was "input closed" in 6 of 20 runs under -race).
func TestLiveBYOCStream(t *testing.T) {
	n, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1, Live: livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
	for _, o := range n.Orchestrators() {
		b := livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{})
		t.Cleanup(func() { _ = b.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "byoc/text-reversal", map[string]any{"prompt": "a cat"},
		livepeer.WithStreamID("s1"), livepeer.WithPaymentInterval(300*time.Millisecond))
	require.NoError(t, err)
	info := sess.Info()
	assert.Equal(t, "byoc", info.Kind)
	assert.Equal(t, "s1", info.StreamID)
	live := n.Live()[0]
	st, ok := live.Stream("s1")
	require.True(t, ok)
	assert.Equal(t, map[string]any{"prompt": "a cat"}, st.Params, "the worker reads the start body's params")

	got := make(chan []byte, 1)
	go func() {
		for s, err := range sess.Subscribe(ctx) {
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(s)
			got <- b
			return
		}
	}()
	require.NoError(t, sess.Publish(ctx, bytes.NewReader([]byte("frame"))))
	assert.Equal(t, []byte("frame"), <-got)
	require.NoError(t, sess.Update(ctx, map[string]any{"effect": "none"}))
	require.Eventually(t, func() bool { s, _ := live.Stream("s1"); return s.Debits > 0 }, 20*time.Second, 20*time.Millisecond,
		"the orchestrator charged the running stream")

	require.NoError(t, sess.Close())
	st, _ = live.Stream("s1")
	assert.Equal(t, livepeertest.EndStopped, st.EndReason, "the stop request is sent before the channels are deleted")
	assert.Equal(t, 1, st.Control)
	require.Eventually(t, func() bool { s, _ := live.Stream("s1"); return !s.Running }, 5*time.Second, 20*time.Millisecond)
	assert.NoError(t, sess.Err())
}
