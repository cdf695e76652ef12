package livepeertest

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func TestOrchestratorPoolKnobs(t *testing.T) {
	checkNoLeak(t)
	clock := newBlockClock(100)
	o, err := newOrchestrator(orchestratorConfig{Clock: clock})
	require.NoError(t, err)
	defer o.Close()
	s, err := newSigner(signerConfig{Clock: clock})
	require.NoError(t, err)
	defer s.Close()
	c := newRawClient(t)
	addr, sig := c.signOrchInfo(s.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	get := func() *lpnet.OrchestratorInfo {
		info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig, Capabilities: lv2vCaps("noop"), IgnoreCapacityCheck: true})
		require.NoError(t, err)
		return info
	}

	// SetPrice: later answers carry the new price.
	require.EqualValues(t, 1, get().GetPriceInfo().GetPricePerUnit())
	require.NoError(t, o.SetPrice("live-video-to-video/noop", 7, 2))
	p := get().GetPriceInfo()
	require.Equal(t, big.NewRat(7, 2), big.NewRat(p.GetPricePerUnit(), p.GetPixelsPerUnit()))
	require.ErrorIs(t, o.SetPrice("live-video-to-video/absent", 1, 1), lperr.ErrInvalidConfig)
	require.ErrorIs(t, o.SetPrice("live-video-to-video/noop", -1, 1), lperr.ErrInvalidConfig)

	// SetAuthTokenValidity: later tokens expire accordingly; a token in the
	// signer's last 3 minutes is refused with 480 (Refusals counts it).
	o.SetAuthTokenValidity(time.Minute)
	exp := time.Unix(get().GetAuthToken().GetExpiration(), 0)
	require.WithinDuration(t, time.Now().Add(time.Minute), exp, 2*time.Second)
	require.Zero(t, s.Refusals(signer.StatusRefreshSession))
	code, _, _, _ := c.generatePayment(s.URL(), get(), nil, "m", "lv2v")
	require.Equal(t, signer.StatusRefreshSession, code)
	require.Equal(t, 1, s.Refusals(signer.StatusRefreshSession))
	o.SetAuthTokenValidity(0)
	exp = time.Unix(get().GetAuthToken().GetExpiration(), 0)
	require.WithinDuration(t, time.Now().Add(defaultAuthTokenValidity), exp, 2*time.Second)
	code, _, _, _ = c.generatePayment(s.URL(), get(), nil, "m", "lv2v")
	require.Equal(t, 200, code)
	require.Equal(t, 1, s.Refusals(signer.StatusRefreshSession))

	// Connections counts accepted TCP connections, held ones included.
	n := o.Connections()
	require.Positive(t, n)
	c2 := newRawClient(t)
	resp, err := c2.http.Post(o.URL()+"/payment", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, n+1, o.Connections())
}
