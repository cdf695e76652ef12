package payment

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// e2e is one in-process network with a signer client and a GetOrchestrator client.
type e2e struct {
	net  *livepeertest.Network
	orch *livepeertest.Orchestrator
	sc   *signer.Client
	dc   *discovery.Client
}

func newE2E(t *testing.T, cfg livepeertest.NetworkConfig) *e2e {
	t.Helper()
	cfg.Orchestrators = 1
	n, err := livepeertest.NewNetwork(cfg)
	require.NoError(t, err)
	sc, err := signer.New([]string{n.SignerURL()}, signer.WithRetry(1, time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	dc, err := discovery.NewClient(discovery.ClientOptions{Signer: sc})
	require.NoError(t, err)
	t.Cleanup(func() {
		dc.Close()
		sc.CloseIdleConnections()
		n.Close()
	})
	return &e2e{net: n, orch: n.Orchestrators()[0], sc: sc, dc: dc}
}

func (e *e2e) refresh(want *discovery.Capability) RefreshFunc {
	return func(ctx context.Context) (*discovery.Info, error) {
		return e.dc.GetOrchestrator(ctx, e.orch.Addr(), want)
	}
}

var noop = discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}

func TestE2ELV2VPaymentsRefreshWhenTicketParamsExpire(t *testing.T) {
	leakCheck(t)
	e := newE2E(t, livepeertest.NetworkConfig{})
	ctx := context.Background()
	in, err := e.dc.GetOrchestrator(ctx, e.orch.Addr(), &noop)
	require.NoError(t, err)
	s, err := NewSession(Config{Signer: e.sc, Info: in, Refresh: e.refresh(&noop), Capabilities: noop.Proto()})
	require.NoError(t, err)
	defer s.Close()

	// The start payment, then the manifest id the job start would return.
	start, err := s.Next(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, start.Payment)
	require.NotEmpty(t, start.SegCreds)
	s.SetManifestID("manifest-e2e")

	err = s.SendLV2V(ctx)
	if err != nil {
		require.ErrorIs(t, err, ErrNoTicketsNeeded)
	}
	getOrch := e.orch.GetOrchestratorCalls()

	// Ticket params expire 40 blocks after issue: the signer answers 480,
	// the session re-runs GetOrchestrator and pays with the fresh params.
	e.net.AdvanceBlocks(100)
	err = s.SendLV2V(ctx)
	if err != nil {
		require.ErrorIs(t, err, ErrNoTicketsNeeded)
	}
	assert.Greater(t, e.orch.GetOrchestratorCalls(), getOrch, "info refreshed after expiry")
	assert.Greater(t, e.net.Signer().Calls("/generate-live-payment"), 2)
}

func TestE2ELV2VPaymentAcceptedByOrchestrator(t *testing.T) {
	leakCheck(t)
	caps := []livepeertest.CapabilitySpec{{Name: "live-video-to-video/noop", PricePerUnit: 1000, PixelsPerUnit: 1}}
	e := newE2E(t, livepeertest.NetworkConfig{Capabilities: caps})
	ctx := context.Background()
	in, err := e.dc.GetOrchestrator(ctx, e.orch.Addr(), &noop)
	require.NoError(t, err)
	s, err := NewSession(Config{Signer: e.sc, Info: in, Refresh: e.refresh(&noop), Capabilities: noop.Proto(), ManifestID: "m"})
	require.NoError(t, err)
	defer s.Close()
	before := in.Proto().TicketParams.Seed
	require.NoError(t, s.SendLV2V(ctx))
	assert.Equal(t, 1, e.orch.PaymentsReceived())
	assert.Positive(t, e.orch.TicketsReceived())
	assert.NotEqual(t, before, s.Info().Proto().TicketParams.Seed, "PaymentResult ticket params adopted")
	assert.Positive(t, e.orch.Balance(e.net.Signer().Address(), "m").Sign())
}

func TestE2EBYOCBalanceExhaustion(t *testing.T) {
	leakCheck(t)
	// 1e11 wei/s: 60 s costs 6 tickets of 1e12 wei EV; the payer has 10.
	caps := []livepeertest.CapabilitySpec{{Name: "byoc/text-reversal", PricePerUnit: 100_000_000_000, PixelsPerUnit: 1}}
	e := newE2E(t, livepeertest.NetworkConfig{Capabilities: caps, SignerBalance: big.NewInt(10_000_000_000_000)})
	ctx := context.Background()
	base, err := e.dc.GetOrchestrator(ctx, e.orch.Addr(), nil)
	require.NoError(t, err)

	// Job-token terms (what GET /process/token returns): the BYOC price and
	// ticket params issued for it.
	price, ok := e.orch.CapabilityPrice("byoc/text-reversal")
	require.True(t, ok)
	tokenInfo := func() *discovery.Info {
		tp := e.orch.TicketParams(e.net.Signer().Address(), price)
		pi := &lpnet.PriceInfo{PricePerUnit: price.Num().Int64(), PixelsPerUnit: price.Denom().Int64()}
		return BYOCInfo(base, "text-reversal", pi, tp)
	}
	s, err := NewSession(Config{Signer: e.sc, Info: tokenInfo(), BYOCCapability: "text-reversal",
		Refresh: func(context.Context) (*discovery.Info, error) { return tokenInfo(), nil }})
	require.NoError(t, err)
	defer s.Close()

	var sent []string
	snd := StartSender(ctx, time.Millisecond, func(ctx context.Context) error {
		p, err := s.NextBYOC(ctx, 60)
		if err != nil {
			return err
		}
		sent = append(sent, p.Payment)
		// The orchestrator accepts the tickets (job-token params).
		_, err = e.orch.ProcessTickets(p.Payment, "text-reversal")
		return err
	}, nil)
	select {
	case <-snd.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("sender did not stop")
	}
	require.ErrorIs(t, snd.Err(), ErrInsufficientBalance)
	require.Len(t, sent, 1, "one batch fits the budget")
	assert.Positive(t, e.orch.Balance(e.net.Signer().Address(), "text-reversal").Sign())
}

// Tickets made with GetOrchestrator's ticket params at the BYOC price are
// refused (recipientRandHash binds the price), as on go-livepeer master:
// BYOC sessions need BYOCInfo with the job token's terms.
func TestE2EBYOCWithoutJobTokenIsRefused(t *testing.T) {
	e := newE2E(t, livepeertest.NetworkConfig{})
	ctx := context.Background()
	base, err := e.dc.GetOrchestrator(ctx, e.orch.Addr(), nil)
	require.NoError(t, err)
	s, err := NewSession(Config{Signer: e.sc, Info: base, BYOCCapability: "text-reversal"})
	require.NoError(t, err)
	defer s.Close()
	p, err := s.NextBYOC(ctx, 60)
	require.NoError(t, err)
	_, err = e.orch.ProcessTickets(p.Payment, "text-reversal")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "recipientRand")
}
