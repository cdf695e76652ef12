package livepeer

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

func newNetwork(t *testing.T, cfg livepeertest.NetworkConfig) *livepeertest.Network {
	t.Helper()
	n, err := livepeertest.NewNetwork(cfg)
	require.NoError(t, err)
	t.Cleanup(n.Close)
	return n
}

func newGateway(t *testing.T, cfg Config) *Gateway {
	t.Helper()
	gw, err := NewGateway(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Close() })
	return gw
}

func TestGatewaySourcesEndToEnd(t *testing.T) {
	checkNoLeak(t)
	n := newNetwork(t, livepeertest.NetworkConfig{})
	ctx := context.Background()
	cfgs := map[string]Config{
		"token (signer + discovery)": {Token: n.Token()},
		"explicit list":              {SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs()},
		"discovery endpoint":         {SignerURL: n.SignerURL(), DiscoveryURL: n.DiscoveryURL()},
		"signer discovery":           {SignerURL: n.SignerURL()},
		"token list over explicit": {Token: Token{Orchestrators: n.OrchestratorAddrs(), Signer: n.SignerURL()}.Encode(),
			Orchestrators: []string{"127.0.0.1:1"}},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			gw := newGateway(t, cfg)
			infos, err := gw.Orchestrators(ctx, "live-video-to-video/streamdiffusion")
			require.NoError(t, err)
			require.Len(t, infos, 3)
			for _, in := range infos {
				require.True(t, in.Onchain(), "signed request accepted by an on-chain orchestrator")
				require.True(t, in.HasCapability(discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "streamdiffusion"}))
				require.Equal(t, &discovery.Price{PricePerUnit: 1, PixelsPerUnit: 1}, in.Price)
				require.NotEmpty(t, in.Transcoder)
			}
		})
	}
}

func TestGatewayCapabilityFilterAndPrice(t *testing.T) {
	checkNoLeak(t)
	ctx := context.Background()
	noop := newNetwork(t, livepeertest.NetworkConfig{Offchain: true, Orchestrators: 2, Capabilities: []livepeertest.CapabilitySpec{
		{Name: "live-video-to-video/noop"}}})
	sd := newNetwork(t, livepeertest.NetworkConfig{Offchain: true, Orchestrators: 1, Capabilities: []livepeertest.CapabilitySpec{
		{Name: "live-video-to-video/streamdiffusion"}}})
	all := append(noop.OrchestratorAddrs(), sd.OrchestratorAddrs()...)
	gw := newGateway(t, Config{Orchestrators: all})

	infos, err := gw.Orchestrators(ctx, "live-video-to-video/streamdiffusion")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	require.Equal(t, sd.OrchestratorAddrs()[0], infos[0].Addr)

	infos, err = gw.Orchestrators(ctx, "live-video-to-video")
	require.NoError(t, err)
	require.Len(t, infos, 3)

	infos, err = gw.Orchestrators(ctx, "")
	require.NoError(t, err)
	require.Len(t, infos, 3)

	// BYOC: on-chain orchestrators list their BYOC capabilities in capabilities_prices.
	mixed := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 2, Capabilities: []livepeertest.CapabilitySpec{
		{Name: "live-video-to-video/noop"}, {Name: "byoc/echo", PricePerUnit: 3}}})
	lv := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1, Capabilities: []livepeertest.CapabilitySpec{
		{Name: "live-video-to-video/noop"}}})
	bgw := newGateway(t, Config{SignerURL: mixed.SignerURL(), Orchestrators: append(mixed.OrchestratorAddrs(), lv.OrchestratorAddrs()...)})
	infos, err = bgw.Orchestrators(ctx, "byoc/echo")
	require.NoError(t, err)
	require.Len(t, infos, 2)
	p, ok := infos[0].PriceFor(discovery.Capability{ID: discovery.CapBYOC, Model: "echo"})
	require.True(t, ok)
	require.Equal(t, int64(3), p.PricePerUnit)
	require.Empty(t, modelsOf(infos[0], discovery.CapBYOC))

	_, err = bgw.Orchestrators(ctx, "byoc/missing")
	var noe *NoOrchestratorError
	require.ErrorAs(t, err, &noe)
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrCapabilityNotOffered)
	require.Len(t, noe.Rejections, 3)
	require.Equal(t, "byoc/missing", noe.Capability)

	_, err = gw.Orchestrators(ctx, "no-such-pipeline/x")
	require.ErrorIs(t, err, ErrInvalidCapability)
	var ce *CapabilityError
	require.ErrorAs(t, err, &ce)

	// Price ceiling: on-chain prices 1 (streamdiffusion) and 2 (sdxl) wei/pixel.
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	cheap := newGateway(t, Config{Token: n.Token(), MaxPrice: big.NewRat(3, 2)})
	_, err = cheap.Orchestrators(ctx, "live-video-to-video/streamdiffusion")
	require.NoError(t, err)
	_, err = cheap.Orchestrators(ctx, "live-video-to-video/streamdiffusion-sdxl")
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrPriceExceeded)
}

func TestGatewayFailover(t *testing.T) {
	checkNoLeak(t)
	ctx := context.Background()
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 5})
	orchs := n.Orchestrators()
	orchs[0].SetBlackhole(true)
	orchs[1].Close()
	orchs[2].FailGetOrchestrator(100)
	orchs[3].SetLatency(100 * time.Millisecond)
	const timeout = 2 * time.Second // orchs[3] answers in 100 ms even on a loaded machine
	gw := newGateway(t, Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(), OrchestratorTimeout: timeout})

	start := time.Now()
	sel, err := gw.Select(ctx, "live-video-to-video/noop")
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Less(t, elapsed, timeout+2*time.Second)
	require.GreaterOrEqual(t, sel.Remaining(), 1, "the cold start returns once the fast one answered")
	first, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, orchs[4].Addr(), first.Addr, "same price: the faster answer first")
	second, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, orchs[3].Addr(), second.Addr, "the slower answer joins the cursor when it arrives")
	startErr := errors.New("start refused")
	sel.Reject(first, startErr)
	sel.Reject(second, ErrInsufficientBalance)
	_, err = sel.Next(ctx)
	var noe *NoOrchestratorError
	require.ErrorAs(t, err, &noe)
	require.Len(t, noe.Rejections, 5)
	require.ErrorIs(t, err, startErr)
	require.ErrorIs(t, err, ErrInsufficientBalance)
	require.ErrorIs(t, err, ErrOrchestratorUnavailable)
	var rpcErr *RPCError
	require.ErrorAs(t, err, &rpcErr)

	orchs[0].SetBlackhole(false)
}

func TestGatewaySignerAndDiscoveryFailures(t *testing.T) {
	checkNoLeak(t)
	ctx := context.Background()
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	n.Signer().SetDown(true)
	gw := newGateway(t, Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(), MaxRetries: -1})
	_, err := gw.Orchestrators(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, ErrSignerUnavailable)
	var se *SignerError
	require.ErrorAs(t, err, &se)

	// Signer discovery down.
	gw2 := newGateway(t, Config{SignerURL: n.SignerURL(), MaxRetries: -1})
	_, err = gw2.Orchestrators(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, ErrSignerUnavailable)
	n.Signer().SetDown(false)

	// Unsigned requests are refused by on-chain orchestrators.
	gw3 := newGateway(t, Config{Orchestrators: n.OrchestratorAddrs()})
	_, err = gw3.Orchestrators(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrOrchestratorUnavailable)

	// Discovery endpoint that is down.
	gw4 := newGateway(t, Config{DiscoveryURL: "http://127.0.0.1:1/list", MaxRetries: -1})
	_, err = gw4.Orchestrators(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, ErrDiscoveryUnavailable)

	// Discovery that finds nothing.
	gw5 := newGateway(t, Config{Token: n.Token()})
	_, err = gw5.Orchestrators(ctx, "live-video-to-video/absent")
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.Contains(t, err.Error(), "returned no orchestrators")
}

func TestGatewayCancelAndClose(t *testing.T) {
	checkNoLeak(t)
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 2})
	for _, o := range n.Orchestrators() {
		o.SetBlackhole(true)
	}
	gw := newGateway(t, Config{Token: n.Token(), OrchestratorTimeout: 10 * time.Second})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := gw.Orchestrators(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = gw.Select(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 3*time.Second)

	require.NoError(t, gw.Close())
	_, err = gw.Orchestrators(context.Background(), "live-video-to-video/noop")
	require.ErrorIs(t, err, ErrClosed)
	for _, o := range n.Orchestrators() {
		o.SetBlackhole(false)
	}
}

func TestGatewayPaymentSessionRefresh(t *testing.T) {
	checkNoLeak(t)
	ctx := context.Background()
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	gw := newGateway(t, Config{Token: n.Token()})
	infos, err := gw.Orchestrators(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	info := infos[0]
	o := n.Orchestrators()[0]
	calls := o.GetOrchestratorCalls()

	fresh, err := gw.Refresh(ctx, info)
	require.NoError(t, err)
	require.Equal(t, calls+1, o.GetOrchestratorCalls())
	require.Equal(t, info.Requested, fresh.Requested)
	require.NotEqual(t, info.Protobuf(), fresh.Protobuf(), "a fresh auth token and ticket params")

	sess, err := gw.NewPaymentSession(info, payment.Config{})
	require.NoError(t, err)
	require.Same(t, info, sess.Info())
	p, err := sess.Next(ctx)
	require.NoError(t, err)
	require.NotNil(t, p)
	require.NoError(t, sess.Close())

	_, err = gw.NewPaymentSession(nil, payment.Config{})
	require.ErrorIs(t, err, ErrInvalidConfig)
	require.NoError(t, gw.Close())
	_, err = gw.NewPaymentSession(info, payment.Config{})
	require.ErrorIs(t, err, ErrClosed)
	_, err = gw.Refresh(ctx, info)
	require.ErrorIs(t, err, ErrClosed)
}

func TestGatewaySignerFallback(t *testing.T) {
	checkNoLeak(t)
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	gw := newGateway(t, Config{SignerURL: "http://127.0.0.1:1", SignerFallbackURLs: []string{n.SignerURL()},
		Orchestrators: n.OrchestratorAddrs(), MaxRetries: -1})
	infos, err := gw.Orchestrators(context.Background(), "live-video-to-video/noop")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	require.True(t, infos[0].Onchain())
}

func modelsOf(info *discovery.Info, id discovery.CapabilityID) []discovery.Model {
	var out []discovery.Model
	for _, m := range info.Models {
		if m.Capability.ID == id {
			out = append(out, m)
		}
	}
	return out
}
