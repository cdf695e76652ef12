package livepeertest

import "math/big"

// BatchPayment is one payment the signer made with "type" omitted, the
// batch case of go-livepeer's GenerateLivePayment (server/remote_signer.go:536-569,
// master 176aa415ccea4f9861e0dd44e981cda17fb36f52), which batch AI requests use:
// the units are the request's inPixels, and the tickets cover
// max(units × price, one ticket's EV) (less the balance of a state sent back).
type BatchPayment struct {
	ManifestID string   // the request's ManifestID ("<capability id>_<model>" for batch AI)
	Units      int64    // inPixels
	Tickets    int      // tickets signed
	EV         *big.Rat // Tickets × ticket EV, in wei: what Spent grew by
}

func (s *Signer) recordBatch(manifestID string, units int64, tickets int, ev *big.Rat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, BatchPayment{ManifestID: manifestID, Units: units, Tickets: tickets, EV: new(big.Rat).Set(ev)})
}

// BatchPayments returns the batch payments made so far, in order.
func (s *Signer) BatchPayments() []BatchPayment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]BatchPayment, len(s.batches))
	for i, b := range s.batches {
		b.EV = new(big.Rat).Set(b.EV)
		out[i] = b
	}
	return out
}
