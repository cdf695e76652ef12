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

func TestLiveBYOCStream(t *testing.T) {
	n, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1, Live: livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
	for _, o := range n.Orchestrators() {
		b := livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{})
		t.Cleanup(func() { _ = b.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "byoc/text-reversal", livepeer.LiveOptions{StreamID: "s1", PaymentInterval: 300 * time.Millisecond})
	require.NoError(t, err)
	info := sess.Info()
	assert.Equal(t, "byoc", info.Kind)
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
	time.Sleep(time.Second)
	require.NoError(t, sess.Close())
	require.Eventually(t, func() bool { s, _ := n.Live()[0].Stream("s1"); return !s.Running }, 5*time.Second, 20*time.Millisecond)
	st, _ := n.Live()[0].Stream("s1")
	assert.Equal(t, livepeertest.EndStopped, st.EndReason)
	assert.Equal(t, 1, st.Control)
	assert.Greater(t, st.Debits, 0)
}
