package payment

import (
	"context"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
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
	sc, err := signer.New(signer.Config{URLs: []string{n.SignerURL()}, MaxRetries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	require.NoError(t, err)
	dc, err := discovery.NewClient(discovery.ClientConfig{Signer: sc})
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

// jobToken asks the orchestrator for its BYOC terms as the signer's payer,
// the way a gateway does: GET /process/token with a Livepeer-Eth-Address
// header whose signature is the signer's /sign-orchestrator-info one (both
// are personal_sign over keccak256 of the EIP-55 address).
func (e *e2e) jobToken(t *testing.T, capability string) *byocwire.JobToken {
	t.Helper()
	sig, err := e.sc.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	hdr, err := (&byocwire.JobSender{Addr: sig.Address.Hex(), Sig: byocwire.EncodeSig(sig.Signature)}).Encode()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, e.orch.URL()+"/process/token", nil)
	require.NoError(t, err)
	req.Header.Set(lphttp.HeaderEthAddress, hdr)
	req.Header.Set(lphttp.HeaderCapability, capability)
	tr := lphttp.NewOrchestratorTransport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	tok, err := byocwire.DecodeJobToken(body)
	require.NoError(t, err)
	return tok
}

var noop = discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}

func TestE2ELV2VPaymentsRefreshWhenTicketParamsExpire(t *testing.T) {
	leakCheck(t)
	e := newE2E(t, livepeertest.NetworkConfig{})
	ctx := context.Background()
	in, err := e.dc.GetOrchestrator(ctx, e.orch.Addr(), &noop)
	require.NoError(t, err)
	s, err := NewSession(Config{Signer: e.sc, Info: in, Refresh: e.refresh(&noop), Capability: &noop})
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
		require.ErrorIs(t, err, lperr.ErrNoTicketsNeeded)
	}
	getOrch := e.orch.GetOrchestratorCalls()

	// Ticket params expire 40 blocks after issue: the signer answers 480,
	// the session re-runs GetOrchestrator and pays with the fresh params.
	e.net.AdvanceBlocks(100)
	err = s.SendLV2V(ctx)
	if err != nil {
		require.ErrorIs(t, err, lperr.ErrNoTicketsNeeded)
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
	s, err := NewSession(Config{Signer: e.sc, Info: in, Refresh: e.refresh(&noop), Capability: &noop, ManifestID: "m"})
	require.NoError(t, err)
	defer s.Close()
	before := protoOf(in).TicketParams.Seed
	require.NoError(t, s.SendLV2V(ctx))
	assert.Equal(t, 1, e.orch.PaymentsReceived())
	assert.Positive(t, e.orch.TicketsReceived())
	assert.NotEqual(t, before, protoOf(s.Info()).TicketParams.Seed, "PaymentResult ticket params adopted")
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

	// Job-token terms (GET /process/token): the BYOC price and the ticket
	// params issued for it.
	bs := livepeertest.EnableBYOC(e.orch, livepeertest.BYOCConfig{})
	t.Cleanup(func() { _ = bs.Close() })
	tokenInfo := func() *discovery.Info {
		tok := e.jobToken(t, "text-reversal")
		tp, err := orchinfo.TicketParamsFromProto(tok.TicketParams)
		require.NoError(t, err)
		price := &discovery.Price{PricePerUnit: tok.Price.GetPricePerUnit(), PixelsPerUnit: tok.Price.GetPixelsPerUnit()}
		in, err := BYOCInfo(base, "text-reversal", price, tp)
		require.NoError(t, err)
		return in
	}
	s, err := NewSession(Config{Signer: e.sc, Info: tokenInfo(), BYOCCapability: "text-reversal",
		Refresh: func(context.Context) (*discovery.Info, error) { return tokenInfo(), nil }})
	require.NoError(t, err)
	defer s.Close()

	var sent []string
	snd := StartSender(ctx, SenderConfig{Interval: time.Millisecond, Send: func(ctx context.Context) error {
		p, err := s.NextBYOC(ctx, 60)
		if err != nil {
			return err
		}
		sent = append(sent, p.Payment)
		// The orchestrator accepts the tickets (job-token params).
		_, err = e.orch.ProcessTickets(p.Payment, "text-reversal")
		return err
	}})
	select {
	case <-snd.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("sender did not stop")
	}
	require.ErrorIs(t, snd.Err(), lperr.ErrInsufficientBalance)
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
