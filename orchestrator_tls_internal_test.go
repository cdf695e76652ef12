package livepeer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// TestEveryOrchestratorTransportChecksPins: with a wrong pin stored for an
// orchestrator, each way the Gateway reaches it refuses the connection —
// GetOrchestrator, the job/trickle transport and the payments' client.
func TestEveryOrchestratorTransportChecksPins(t *testing.T) {
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	o := n.Orchestrators()[0]
	sum := sha256.Sum256([]byte("another key"))
	wrong := orchtls.Pin("sha256/" + base64.StdEncoding.EncodeToString(sum[:]))
	pins := orchtls.NewMemoryStore()
	_, _ = pins.LoadOrStore(o.Addr(), wrong)
	gw := newGateway(t, Config{Token: n.Token(), OrchestratorPins: pins})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	_, err := gw.disc.GetOrchestrator(ctx, o.Addr(), nil)
	require.ErrorIs(t, err, ErrCertificateMismatch, "GetOrchestrator")

	for name, hc := range map[string]*http.Client{
		"jobs and trickle": {Transport: gw.orchTransport(), Timeout: 10 * time.Second},
		"payments":         gw.payHC,
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.URL()+"/", nil)
		_, err := hc.Do(req)
		require.ErrorIs(t, err, ErrCertificateMismatch, name)
		var me *CertificateMismatchError
		require.ErrorAs(t, err, &me, name)
		assert.Equal(t, o.Addr(), me.Addr, name)
	}

	// The right pin passes; payment sessions use the pinned client.
	require.NoError(t, pins.Delete(o.Addr()))
	info, err := gw.disc.GetOrchestrator(ctx, o.Addr(), &discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"})
	require.NoError(t, err)
	sess, err := gw.NewPaymentSession(info, payment.Config{})
	require.NoError(t, err)
	defer sess.Close()
	sess.SetManifestID("m1")
	require.NoError(t, pins.Delete(o.Addr()))
	_, _ = pins.LoadOrStore(o.Addr(), wrong)
	err = sess.SendLV2V(ctx)
	require.ErrorIs(t, err, ErrCertificateMismatch, "POST /payment")

	// Without pins nothing is checked.
	plain := newGateway(t, Config{Token: n.Token()})
	assert.Nil(t, plain.payHC, "payment sessions keep their own default client")
	assert.Nil(t, plain.orchTransport().DialTLSContext)
}
