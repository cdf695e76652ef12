package payment

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
)

// ErrInvalidPayment: a Livepeer-Payment value could not be decoded.
var ErrInvalidPayment = errors.New("payment: invalid Livepeer-Payment value")

// Tickets describes the probabilistic micropayment tickets in one payment
// (a Livepeer-Payment header).
type Tickets struct {
	Count     int         // number of tickets
	Sender    eth.Address // payer
	Recipient eth.Address // orchestrator
	FaceValue *big.Int    // wei paid out if a ticket wins
	WinProb   *big.Int    // win probability × (2^256-1)
	// EV is the expected value committed by all tickets together, in wei:
	// Count × FaceValue × WinProb / (2^256-1) (discovery.TicketParams.EV per
	// ticket). This is what the payment really costs the payer on average.
	EV *big.Rat
	// PricePerUnit / PixelsPerUnit is the orchestrator price the tickets were made for.
	PricePerUnit, PixelsPerUnit int64
}

// Tickets decodes p's Livepeer-Payment value: see ParseTickets.
func (p *Payment) Tickets() (Tickets, error) {
	if p == nil {
		return ParseTickets("")
	}
	return ParseTickets(p.Payment)
}

// ParseTickets decodes a Livepeer-Payment header value (standard base64 of
// go-livepeer's net.Payment, as the remote signer's "payment" field carries
// it; unpadded base64 is accepted too). An empty value (off-chain or free)
// gives a zero Tickets and no error; anything else that is not a net.Payment
// gives an error wrapping ErrInvalidPayment. Tickets without ticket
// parameters are an error too: they could not be valued.
func ParseTickets(header string) (Tickets, error) {
	t := Tickets{FaceValue: new(big.Int), WinProb: new(big.Int), EV: new(big.Rat)}
	if header == "" {
		return t, nil
	}
	raw, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(header); err != nil {
			return t, fmt.Errorf("%w: not base64: %v", ErrInvalidPayment, err)
		}
	}
	var pb lpnet.Payment
	if err := proto.Unmarshal(raw, &pb); err != nil {
		return t, fmt.Errorf("%w: not a net.Payment: %v", ErrInvalidPayment, err)
	}
	t.Count = len(pb.GetTicketSenderParams())
	t.Sender = eth.BytesToAddress(pb.GetSender())
	tp := pb.GetTicketParams()
	if tp == nil {
		if t.Count > 0 {
			return t, fmt.Errorf("%w: %d tickets without ticket params", ErrInvalidPayment, t.Count)
		}
		return t, nil
	}
	params, err := orchinfo.TicketParamsFromProto(tp)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrInvalidPayment, err)
	}
	t.Recipient = params.Recipient
	t.FaceValue.Set(params.FaceValue)
	t.WinProb.Set(params.WinProb)
	if ep := pb.GetExpectedPrice(); ep != nil {
		t.PricePerUnit, t.PixelsPerUnit = ep.GetPricePerUnit(), ep.GetPixelsPerUnit()
	}
	t.EV.Mul(params.EV(), new(big.Rat).SetInt64(int64(t.Count)))
	return t, nil
}
