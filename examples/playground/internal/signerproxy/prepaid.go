package signerproxy

import (
	"encoding/json"
	"math/big"
	"time"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
)

// Preloads of go-livepeer's remote signer: the first payment of an lv2v
// session bills 60 s of defaultSegInfo pixels up front, a "live" session 10
// s (server/remote_signer.go GenerateLivePayment, billableSecs <= 0).
const (
	lv2vPreload = 60 * time.Second
	livePreload = 10 * time.Second
)

// prepaidState is the part of go-livepeer's RemotePaymentState (the JSON
// inside the signed state; keys are the Go field names) that says how much
// credit the orchestrator still holds for the session.
type prepaidState struct {
	Balance              string // big.Rat string: credit − fees billed so far
	LastUpdate           time.Time
	InitialPricePerUnit  int64
	InitialPixelsPerUnit int64
	Type                 string
}

// prepaidLeft estimates how long the orchestrator's credit for this session
// lasts from now, from the upstream signer's own state.
//
// go-livepeer's signer debits the state's Balance by the fee of the time
// billed (60 s up front on an lv2v session's first payment, then the time
// since LastUpdate on each later one) and credits it with the tickets' EV,
// so the signer is always a preload ahead of the orchestrator, which only
// debits time actually streamed. The orchestrator's credit is therefore
// Balance + fee(preload) − fee(now − LastUpdate). ok is false for a state
// this cannot read (unknown type, no price): then nothing is assumed
// prepaid.
func prepaidLeft(inner []byte, now time.Time) (left time.Duration, ok bool) {
	st, rate, preload, ok := readState(inner)
	if !ok || st.LastUpdate.IsZero() {
		return 0, false
	}
	bal := new(big.Rat)
	if st.Balance != "" {
		if _, good := bal.SetString(st.Balance); !good {
			return 0, false
		}
	}
	secs, _ := new(big.Rat).Quo(bal, rate).Float64()
	return time.Duration(secs*float64(time.Second)) + preload - now.Sub(st.LastUpdate), true
}

// readState decodes a signer state and its streaming rate (wei per second
// at the session's initial price) and preload; ok is false for a state
// whose type or price it cannot read.
func readState(inner []byte) (st prepaidState, rate *big.Rat, preload time.Duration, ok bool) {
	if len(inner) == 0 || json.Unmarshal(inner, &st) != nil || st.InitialPricePerUnit <= 0 || st.InitialPixelsPerUnit <= 0 {
		return st, nil, 0, false
	}
	price := big.NewRat(st.InitialPricePerUnit, st.InitialPixelsPerUnit)
	switch st.Type {
	case "lv2v":
		return st, price.Mul(price, big.NewRat(meter.LV2VPixelsPerSecond, 1)), lv2vPreload, true
	case "live":
		return st, price, livePreload, true // units are seconds
	}
	return st, nil, 0, false
}
