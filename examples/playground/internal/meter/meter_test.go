package meter_test

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

var maxWin = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

func TestPaymentCost(t *testing.T) {
	face := big.NewInt(1_000_000)
	half := new(big.Int).Rsh(maxWin, 1) // win prob ≈ 1/2
	p := &lpnet.Payment{TicketParams: &lpnet.TicketParams{FaceValue: face.Bytes(), WinProb: half.Bytes()},
		TicketSenderParams: []*lpnet.TicketSenderParams{{}, {}, {}}}
	b, err := proto.Marshal(p)
	require.NoError(t, err)
	c, err := meter.PaymentCost(base64.StdEncoding.EncodeToString(b))
	require.NoError(t, err)
	require.Equal(t, 3, c.Tickets)
	require.Equal(t, "3000000", c.Face.String())
	require.Equal(t, "1500000", c.EVWei().String(), "3 × 1e6 × ~1/2, rounded up")

	zero, err := meter.PaymentCost("")
	require.NoError(t, err)
	require.Zero(t, zero.EVWei().Sign())
	_, err = meter.PaymentCost("!!!")
	require.ErrorIs(t, err, meter.ErrBadPayment)
}

func TestUpperBound(t *testing.T) {
	ev := big.NewInt(1_000_000_000_000)
	info := &lpnet.OrchestratorInfo{
		TicketParams: &lpnet.TicketParams{FaceValue: new(big.Int).Mul(ev, big.NewInt(100)).Bytes(), WinProb: new(big.Int).Div(maxWin, big.NewInt(100)).Bytes()},
		PriceInfo:    &lpnet.PriceInfo{PricePerUnit: 2000, PixelsPerUnit: 1},
	}
	ob, err := proto.Marshal(info)
	require.NoError(t, err)
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
