// Package meter computes what a remote-signer payment really commits: the
// expected value of its probabilistic-micropayment tickets (decoded with
// the SDK's payment.ParseTickets; per ticket discovery.TicketParams.EV, as
// go-livepeer's pm package computes it), and an upper bound of that value
// before the signer is asked, from the request alone. Pure functions; safe
// for concurrent use.
package meter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// MaxTicketsPerPayment is the most tickets go-livepeer's remote signer puts in
// one payment (it answers 400 above it).
const MaxTicketsPerPayment = 100

// LV2VPixelsPerSecond is go-livepeer's billing rate for lv2v payments
// (defaultSegInfo: 1280×720 at 30 fps, whatever the real resolution).
const LV2VPixelsPerSecond = 1280 * 720 * 30

// lv2vFirstSeconds is what the signer pre-loads on a session's first lv2v
// payment; liveFirstSeconds the same for "live".
const (
	lv2vFirstSeconds = 60
	liveFirstSeconds = 10
)

// ErrBadPayment: the payment or request could not be decoded.
var ErrBadPayment = errors.New("meter: undecodable payment")

// Ceil rounds a non-negative rational up to an integer.
func Ceil(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// Cost is what one payment commits.
type Cost struct {
	Tickets int
	EV      *big.Rat // exact Σ EV in wei
	Face    *big.Int // Σ face value in wei (display only: not a cost)
	WinProb *big.Int
}

// EVWei is the billed amount: Σ EV rounded up to a whole wei.
func (c Cost) EVWei() *big.Int { return Ceil(c.EV) }

// PaymentCost decodes a base64 net.Payment (the "payment" field of a
// /generate-live-payment answer, the Livepeer-Payment header) and returns
// its committed value. An empty payment (off-chain) costs nothing.
func PaymentCost(b64 string) (Cost, error) {
	t, err := payment.ParseTickets(b64)
	if err != nil {
		return Cost{}, fmt.Errorf("%w: %v", ErrBadPayment, err)
	}
	return Cost{
		Tickets: t.Count,
		EV:      t.EV,
		Face:    new(big.Int).Mul(t.FaceValue, big.NewInt(int64(t.Count))),
		WinProb: t.WinProb,
	}, nil
}

// Request is the part of a go-livepeer RemotePaymentRequest the bound needs.
type Request struct {
	Orchestrator []byte          `json:"orchestrator"`
	State        json.RawMessage `json:"state"`
	Type         string          `json:"type"`
	InPixels     int64           `json:"inPixels"`
}

// signerState is the part of go-livepeer's RemotePaymentState the bound reads
// (the JSON inside the signed state; its keys are the Go field names).
type signerState struct {
	LastUpdate           time.Time
	InitialPricePerUnit  int64
	InitialPixelsPerUnit int64
	StateID              string
}

// Bound is the most a payment can commit, computed before signing.
type Bound struct {
	Tickets  int      // upper bound on the ticket count (≤ MaxTicketsPerPayment)
	TicketEV *big.Rat // EV of one ticket at the orchestrator's ticket params
	Wei      *big.Int // ⌈Tickets × TicketEV⌉
	StateID  string   // the signer's state id, if the request carries a state
}

// UpperBound bounds what the signer can commit for req at time now, given
// innerState (the decoded signer state JSON, nil on a first payment). The
// signer pays max(fee, ticket EV) − balance in whole tickets; the bound drops
// the balance (it only lowers the count) and over-estimates the fee: lv2v
// bills LV2VPixelsPerSecond × (seconds since the state's LastUpdate, plus
// slack) at the higher of the current and initial price, 60 s on a first
// payment. Types it cannot bound get MaxTicketsPerPayment.
func UpperBound(req *Request, innerState []byte, now time.Time, slack time.Duration) (Bound, error) {
	info, err := discovery.DecodeInfo("", req.Orchestrator)
	if err != nil {
		return Bound{}, fmt.Errorf("%w: %v", ErrBadPayment, err)
	}
	if info.TicketParams == nil {
		return Bound{TicketEV: new(big.Rat), Wei: new(big.Int)}, nil
	}
	ev := info.TicketParams.EV()
	b := Bound{Tickets: MaxTicketsPerPayment, TicketEV: ev}
	var st *signerState
	if len(innerState) > 0 {
		st = &signerState{}
		if err := json.Unmarshal(innerState, st); err != nil {
			st = nil // the signer will refuse it; bound by the maximum
		} else {
			b.StateID = st.StateID
		}
	}
	if ev.Sign() > 0 {
		if n, ok := feeTickets(req, st, info.Price, ev, now, slack); ok && n < b.Tickets {
			b.Tickets = n
		}
	}
	b.Wei = Ceil(new(big.Rat).Mul(ev, new(big.Rat).SetInt64(int64(b.Tickets))))
	return b, nil
}

// feeTickets estimates ⌈max(fee, ev)/ev⌉ + 1 with an over-estimated fee.
func feeTickets(req *Request, st *signerState, p *discovery.Price, ev *big.Rat, now time.Time, slack time.Duration) (int, bool) {
	price := new(big.Rat)
	if p != nil && p.PixelsPerUnit > 0 {
		price.SetFrac64(p.PricePerUnit, p.PixelsPerUnit)
	}
	secs := 0.0
	if st != nil {
		if st.InitialPixelsPerUnit > 0 {
			if ip := big.NewRat(st.InitialPricePerUnit, st.InitialPixelsPerUnit); ip.Cmp(price) > 0 {
				price = ip
			}
		}
		if !st.LastUpdate.IsZero() {
			secs = now.Sub(st.LastUpdate).Seconds()
		}
	}
	var units *big.Rat
	switch req.Type {
	case "lv2v":
		if secs <= 0 {
			secs = lv2vFirstSeconds
		}
		secs += slack.Seconds()
		units = new(big.Rat).SetFloat64(secs * LV2VPixelsPerSecond)
	case "live":
		if secs <= 0 {
			secs = liveFirstSeconds
		}
		units = new(big.Rat).SetFloat64(secs + slack.Seconds() + 1)
	case "fixed":
		units = big.NewRat(1, 1)
	case "":
		if req.InPixels <= 0 {
			return 0, false
		}
		units = new(big.Rat).SetInt64(req.InPixels)
	default:
		return 0, false
	}
	if units == nil {
		return 0, false
	}
	fee := new(big.Rat).Mul(price, units)
	if fee.Cmp(ev) < 0 {
		fee = ev
	}
	n := Ceil(new(big.Rat).Quo(fee, ev))
	n.Add(n, big.NewInt(1))
	if !n.IsInt64() || n.Int64() > MaxTicketsPerPayment {
		return MaxTicketsPerPayment, true
	}
	return int(n.Int64()), true
}
