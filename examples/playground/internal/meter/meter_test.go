package meter_test

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// network is an in-process Livepeer network with one orchestrator serving
// live-video-to-video/noop at price wei/pixel (tickets: EV 1e12 wei, face
// value 1e14 wei, as go-livepeer's defaults), a signer client and that
// orchestrator's info for the capability.
func network(t *testing.T, price int64) (*livepeertest.Network, *signer.Client, *discovery.Info) {
	t.Helper()
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		Capabilities: []livepeertest.CapabilitySpec{{Name: "live-video-to-video/noop", PricePerUnit: price, PixelsPerUnit: 1}}})
	require.NoError(t, err)
	t.Cleanup(n.Close)
	sc, err := signer.New(signer.Config{URLs: []string{n.SignerURL()}})
	require.NoError(t, err)
	t.Cleanup(sc.CloseIdleConnections)
	dc, err := discovery.NewClient(discovery.ClientConfig{Signer: sc})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dc.Close() })
	want := discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}
	info, err := dc.GetOrchestrator(context.Background(), n.OrchestratorAddrs()[0], &want)
	require.NoError(t, err)
	return n, sc, info
}

func TestPaymentCost(t *testing.T) {
	n, sc, info := network(t, 1)
	resp, err := sc.GenerateLivePayment(context.Background(), &signer.PaymentRequest{Orchestrator: info, Type: signer.TypeLV2V})
	require.NoError(t, err)
	c, err := meter.PaymentCost(resp.Payment)
	require.NoError(t, err)
	require.Positive(t, c.Tickets)
	// What the signer committed is what the payment costs (to the wei).
	require.Equal(t, n.Signer().Spent().String(), new(big.Int).Quo(c.EV.Num(), c.EV.Denom()).String())
	require.Equal(t, new(big.Int).Mul(info.TicketParams.FaceValue, big.NewInt(int64(c.Tickets))), c.Face)
	require.Equal(t, info.TicketParams.WinProb, c.WinProb)

	zero, err := meter.PaymentCost("")
	require.NoError(t, err)
	require.Zero(t, zero.EVWei().Sign())
	_, err = meter.PaymentCost("!!!")
	require.ErrorIs(t, err, meter.ErrBadPayment)
}

func TestUpperBound(t *testing.T) {
	_, _, info := network(t, 2000)
	ob := info.Protobuf()
	require.InDelta(t, 1e12, mustFloat(info.TicketParams.EV()), 1)
	// First lv2v payment: (60 s + 10 s slack) × 27,648,000 px/s × 2000 wei = 3.87e12 → 4 tickets + 1.
	b, err := meter.UpperBound(&meter.Request{Orchestrator: ob, Type: "lv2v"}, nil, time.Now(), 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 5, b.Tickets)
	// Later payment 2 s after LastUpdate: fee ≤ 12 s → 1 ticket + 1.
	st, _ := json.Marshal(map[string]any{"LastUpdate": time.Now().Add(-2 * time.Second), "InitialPricePerUnit": 2000, "InitialPixelsPerUnit": 1, "StateID": "s1"})
	b, err = meter.UpperBound(&meter.Request{Orchestrator: ob, Type: "lv2v"}, st, time.Now(), 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 2, b.Tickets)
	require.Equal(t, "s1", b.StateID)
	// Unknown type: the signer's maximum.
	b, err = meter.UpperBound(&meter.Request{Orchestrator: ob, Type: "weird"}, nil, time.Now(), 0)
	require.NoError(t, err)
	require.Equal(t, meter.MaxTicketsPerPayment, b.Tickets)
	_, err = meter.UpperBound(&meter.Request{Orchestrator: []byte{0xff, 0xff}}, nil, time.Now(), 0)
	require.ErrorIs(t, err, meter.ErrBadPayment)
}

func mustFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

func TestFormatETH(t *testing.T) {
	require.Equal(t, "0.001 ETH", meter.FormatETH(big.NewInt(1_000_000_000_000_000)))
	require.Equal(t, "0 ETH", meter.FormatETH(nil))
	require.Equal(t, "1.5 ETH", meter.FormatETH(big.NewInt(1_500_000_000_000_000_000)))
	for wei, want := range map[string]string{
		"999999999999999":           "0.000999999 ETH", // truncated, never rounded up to the cap
		"1000000000000000":          "0.001 ETH",
		"5000000000002":             "0.000005 ETH", // 21 digits of noise are not shown
		"123456789012345678":        "0.123456 ETH",
		"1234567890123456789":       "1.23456 ETH",
		"12345678901234567890":      "12.3456 ETH",
		"9876543210000000000000000": "9876543 ETH", // whole ETH are never cut
		"999999999999":              "999.999 gwei",
		"1500000000":                "1.5 gwei",
		"999999999":                 "999999999 wei",
		"1":                         "1 wei",
		"-2500000000000000":         "-0.0025 ETH",
	} {
		v, ok := new(big.Int).SetString(wei, 10)
		require.True(t, ok)
		require.Equal(t, want, meter.FormatETH(v), wei)
	}
}
