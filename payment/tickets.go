package payment

import (
	"encoding/base64"
	"fmt"
	"math/big"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// maxWinProb is 2^256-1, the win probability of a ticket that always wins
// (go-livepeer pm: EV = faceValue × winProb / maxWinProb).
var maxWinProb = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// Tickets describes the probabilistic micropayment tickets in one Payment.
type Tickets struct {
	Count     int         // number of tickets
	Sender    eth.Address // payer
	Recipient eth.Address // orchestrator
	FaceValue *big.Int    // wei paid out if a ticket wins
	WinProb   *big.Int    // win probability × (2^256-1)
	// EV is the expected value committed by all tickets together, in wei:
	// Count × FaceValue × WinProb / (2^256-1). This is what the payment
	// really costs the payer on average.
	EV *big.Rat
	// PricePerUnit / PixelsPerUnit is the orchestrator price the tickets were made for.
	PricePerUnit, PixelsPerUnit int64
}

// Tickets decodes the Livepeer-Payment value. A payment with nothing in it
// (off-chain or free) gives a zero Tickets and no error; a value that is not
// base64 of a net.Payment gives an error wrapping ErrPaymentFailed.
func (p *Payment) Tickets() (Tickets, error) {
	t := Tickets{FaceValue: new(big.Int), WinProb: new(big.Int), EV: new(big.Rat)}
	if p == nil || p.Payment == "" {
		return t, nil
	}
	raw, err := base64.StdEncoding.DecodeString(p.Payment)
	if err != nil {
		return t, fmt.Errorf("livepeer: payment: Livepeer-Payment is not base64: %v: %w", err, lperr.ErrPaymentFailed)
	}
	var pb lpnet.Payment
	if err := proto.Unmarshal(raw, &pb); err != nil {
		return t, fmt.Errorf("livepeer: payment: Livepeer-Payment is not a net.Payment: %v: %w", err, lperr.ErrPaymentFailed)
	}
	t.Count = len(pb.GetTicketSenderParams())
	t.Sender = eth.BytesToAddress(pb.GetSender())
	if tp := pb.GetTicketParams(); tp != nil {
		t.Recipient = eth.BytesToAddress(tp.GetRecipient())
		t.FaceValue.SetBytes(tp.GetFaceValue())
		t.WinProb.SetBytes(tp.GetWinProb())
	}
	if ep := pb.GetExpectedPrice(); ep != nil {
		t.PricePerUnit, t.PixelsPerUnit = ep.GetPricePerUnit(), ep.GetPixelsPerUnit()
	}
	num := new(big.Int).Mul(t.FaceValue, t.WinProb)
	num.Mul(num, big.NewInt(int64(t.Count)))
	t.EV.SetFrac(num, maxWinProb)
	return t, nil
}
