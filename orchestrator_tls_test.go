package livepeer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// TestOrchestratorPinsLiveSession runs a paid live session with pinned
// orchestrator certificates (GetOrchestrator, the start, payments and the
// trickle channels all connect to the orchestrator's port), then restarts
// the orchestrator's key: a Gateway with the same persisted pins refuses it.
func TestOrchestratorPinsLiveSession(t *testing.T) {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Live: livepeertest.LiveConfig{DebitInterval: time.Second}})
	require.NoError(t, err)
	defer n.Close()
	o := n.Orchestrators()[0]
	path := filepath.Join(t.TempDir(), "pins.json")
	pins, err := orchtls.OpenFile(path)
	require.NoError(t, err)
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token(), OrchestratorPins: pins})
	require.NoError(t, err)
	defer gw.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil, livepeer.WithPaymentInterval(200*time.Millisecond))
	require.NoError(t, err)
	defer sess.Close()
	seg := bytes.Repeat([]byte("p"), 1000)
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
	require.NoError(t, sess.Publish(ctx, bytes.NewReader(seg)))
	assert.Equal(t, seg, <-got, "trickle through the pinned transport")
	payments := n.Signer().Calls("/generate-live-payment")
	require.Eventually(t, func() bool { return n.Signer().Calls("/generate-live-payment") >= payments+3 }, 20*time.Second, 20*time.Millisecond)
	select {
	case <-sess.Done():
		t.Fatalf("session ended: %v", sess.Err())
	default:
	}
	require.NoError(t, sess.Close())
	assert.Equal(t, map[string]orchtls.Pin{o.Addr(): orchtls.PinOf(o.Certificate())}, pins.Pins(), "one pin: the orchestrator's key")

	// The orchestrator restarts with a new key; pins were persisted.
	require.NoError(t, o.RotateCertificate())
	again, err := orchtls.OpenFile(path)
	require.NoError(t, err)
	gw2, err := livepeer.NewGateway(livepeer.Config{Token: n.Token(), OrchestratorPins: again})
	require.NoError(t, err)
	defer gw2.Close()
	_, err = gw2.Live(ctx, "live-video-to-video/noop", nil)
	require.ErrorIs(t, err, livepeer.ErrNoOrchestrator)
	require.ErrorIs(t, err, livepeer.ErrCertificateMismatch)
	var me *livepeer.CertificateMismatchError
	require.True(t, errors.As(err, &me), "%v", err)
	assert.Equal(t, o.Addr(), me.Addr)
	assert.Equal(t, orchtls.PinOf(o.Certificate()), me.Presented)
	assert.Contains(t, err.Error(), o.Addr())

	// Without pins the new key is accepted, as go-livepeer's gateway does.
	plain, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	require.NoError(t, err)
	defer plain.Close()
	infos, err := plain.Orchestrators(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	assert.Len(t, infos, 1)

	// Trusting the new key: remove the pin.
	require.NoError(t, again.Delete(o.Addr()))
	infos, err = gw2.Orchestrators(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	assert.Len(t, infos, 1)
	p, _ := again.Load(o.Addr())
	assert.Equal(t, orchtls.PinOf(o.Certificate()), p)
}

func TestOrchestratorPinsRun(t *testing.T) {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 2,
		Workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	require.NoError(t, err)
	defer n.Close()
	pins := orchtls.NewMemoryStore()
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token(), OrchestratorPins: pins})
	require.NoError(t, err)
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := gw.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
	require.NoError(t, err)
	assert.Contains(t, string(res.Body), "cba")
	assert.Len(t, pins.Pins(), 2, "every orchestrator asked is pinned")

	// One orchestrator changes its key: it is refused, the job runs on the other.
	bad := n.Orchestrators()[0]
	require.NoError(t, bad.RotateCertificate())
	gw2, err := livepeer.NewGateway(livepeer.Config{Token: n.Token(), OrchestratorPins: pins})
	require.NoError(t, err)
	defer gw2.Close()
	for range 3 {
		res, err = gw2.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
		require.NoError(t, err)
		assert.Equal(t, n.Orchestrators()[1].URL(), res.Orchestrator)
	}
}
