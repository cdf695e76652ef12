package payment

import (
	"context"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// The tickets a payment carries, decoded client-side, must add up to exactly
// what the metering signer committed and name the orchestrator that got them.
func TestE2ETicketsMatchSignerSpend(t *testing.T) {
	leakCheck(t)
	caps := []livepeertest.CapabilitySpec{{Name: "live-video-to-video/noop", PricePerUnit: 1000, PixelsPerUnit: 1}}
	e := newE2E(t, livepeertest.NetworkConfig{Capabilities: caps})
	ctx := context.Background()
	in, err := e.dc.GetOrchestrator(ctx, e.orch.Addr(), &noop)
	require.NoError(t, err)
	s, err := NewSession(Config{Signer: e.sc, Info: in, Refresh: e.refresh(&noop), Capability: &noop, ManifestID: "m"})
	require.NoError(t, err)
	defer s.Close()
	require.Nil(t, s.LastPayment())

	require.NoError(t, s.SendLV2V(ctx))
	tk, err := s.LastPayment().Tickets()
	require.NoError(t, err)
	assert.Equal(t, e.orch.TicketsReceived(), tk.Count)
	assert.Equal(t, e.net.Signer().Address(), tk.Sender)
	assert.Equal(t, in.Address, tk.Recipient)
	assert.Equal(t, int64(1000), tk.PricePerUnit)
	spent := new(big.Rat).SetInt(e.net.Signer().Spent())
	// The signer meters in whole wei; the EV is exact, so they agree to < 1 wei.
	diff := new(big.Rat).Sub(spent, tk.EV)
	assert.True(t, diff.Abs(diff).Cmp(big.NewRat(1, 1)) < 0, "EV %s vs spent %s", tk.EV.FloatString(3), spent.FloatString(0))
}

func TestTicketsOfEmptyAndGarbagePayments(t *testing.T) {
	tk, err := (&Payment{}).Tickets()
	require.NoError(t, err)
	assert.Zero(t, tk.Count)
	assert.Zero(t, tk.EV.Sign())

	_, err = (&Payment{Payment: "%%%"}).Tickets()
	require.ErrorIs(t, err, ErrInvalidPayment)
	_, err = ParseTickets("AAEC/w==")
	require.ErrorIs(t, err, ErrInvalidPayment)
	tk, err = ParseTickets("")
	require.NoError(t, err)
	assert.Zero(t, tk.Count)
}
