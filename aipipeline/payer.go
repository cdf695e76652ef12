package aipipeline

import (
	"context"
	"math/big"
)

// Payment is what pays for one request: the values of the Livepeer-Payment
// (base64 protobuf net.Payment) and Livepeer-Segment (base64 protobuf
// net.SegData) headers (go-livepeer master 176aa415ccea4f9861e0dd44e981cda17fb36f52,
// server/segment_rpc.go:34-35), as the
// remote signer's /generate-live-payment returns them in "payment" and
// "segCreds" (server/remote_signer.go:197-202, 765-773).
type Payment struct {
	Payment string
	Segment string
}

// Payer produces the payment for one request of units units of capability c
// to the orchestrator at orchURL. With a go-livepeer remote signer that is
// POST /generate-live-payment with "type" omitted, "inPixels" = units,
// "ManifestID" = c.ManifestID() and the orchestrator's OrchestratorInfo for
// (c.ID(), c.Model) (server/remote_signer.go:536-569). Run and Stream call it
// once per attempt and return its error wrapped, unchanged for errors.As.
type Payer interface {
	PayAI(ctx context.Context, orchURL string, c Capability, units int64) (Payment, error)
}

// PayerFunc adapts a function to Payer.
type PayerFunc func(ctx context.Context, orchURL string, c Capability, units int64) (Payment, error)

// PayAI calls f.
func (f PayerFunc) PayAI(ctx context.Context, orchURL string, c Capability, units int64) (Payment, error) {
	return f(ctx, orchURL, c, units)
}

// Target is the orchestrator a request goes to.
type Target struct {
	// URL is the orchestrator's service URI ("https://host:port",
	// OrchestratorInfo.transcoder); the pipeline route is appended to it.
	URL string
	// PricePerUnit is the orchestrator's price for this capability and model
	// in wei per unit (OrchestratorInfo.price_info for a GetOrchestrator call
	// that named the capability and model); nil when unknown or free. It only
	// feeds Result.Fee.
	PricePerUnit *big.Rat
}

// Fee returns units × price in wei (nil when price is nil): what the
// orchestrator debits for a request (core/orchestrator.go:480-488).
func Fee(units int64, price *big.Rat) *big.Rat {
	if price == nil {
		return nil
	}
	return new(big.Rat).Mul(price, new(big.Rat).SetInt64(units))
}
