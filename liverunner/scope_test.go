package liverunner_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// A serverless Scope runner, as go-livepeer's DiscoverLiveRunners lists a
// serverless AI worker's models (URL {svc}/scope, no mode, a price per
// 720p-pixel-second), is started at its URL with the 402 dance and answers
// the job JSON; it is paid as live-video-to-video afterwards.
func TestStartScopeServerless(t *testing.T) {
	checkNoLeak(t)
	caps := append(livepeertest.DefaultCapabilities(), livepeertest.CapabilitySpec{Name: "live-video-to-video/scope", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: 1})
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Capabilities: caps})
	require.NoError(t, err)
	defer n.Close()
	o := n.Orchestrators()[0]
	sc := mustSigner(t, n)
	c, err := liverunner.New(liverunner.Config{Signer: sc})
	require.NoError(t, err)
	r := liverunner.Runner{Orchestrator: o.URL(), URL: o.URL() + "/scope", App: liverunner.ScopeApp, Version: "1.0", Mode: liverunner.Persistent,
		Capacity: 1, CapacityAvailable: 1, Price: &liverunner.Price{Wei: big.NewRat(1, 1), Currency: "wei", Unit: liverunner.UnitPixelSeconds}}
	ctx := context.Background()
	st, err := c.StartScope(ctx, liverunner.NewSelector(r.App, []liverunner.Runner{r}, nil), []byte(`{"model_id":"scope","params":{"prompt":"x"}}`), liverunner.SessionConfig{})
	require.NoError(t, err)
	require.Nil(t, st.Session)
	require.NotNil(t, st.Route)
	require.NotEmpty(t, st.Channels.ControlURL)
	require.Empty(t, st.Channels.PublishURL, "master's /scope has no media channels")
	s, ok := n.Live()[0].Stream(st.Channels.ManifestID)
	require.True(t, ok)
	require.Equal(t, "x", s.Params["prompt"])
	paid := o.PaymentsReceived()
	require.Eventually(t, func() bool { return st.Route.Pay(ctx) == nil && o.PaymentsReceived() > paid }, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, st.Close())
}
