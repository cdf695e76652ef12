package aipipeline

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// MaxTicketsPerPayment is the most tickets go-livepeer's remote signer
// makes in one payment: it answers 400 "numTickets N exceeds maximum of
// 100" beyond (server/remote_signer.go:614-625, master
// 176aa415ccea4f9861e0dd44e981cda17fb36f52). One batch request carries one
// payment, so a request whose fee needs more tickets at an orchestrator's
// ticket EV cannot be paid there.
const MaxTicketsPerPayment = 100

// GoLivepeerMaxTotalEV is go-livepeer's default -maxTotalEV in wei: the most
// ticket EV one payment of its sender (and so of a remote signer) may carry
// (cmd/livepeer/starter/starter.go:282, pm/sender.go:219-222). A signer
// refuses a payment above its limit with a bare 500 "Internal Server
// Error" (genPayment's error is replaced by handleAPIError,
// server/remote_signer.go:631-646, server/handlers.go:1717-1731), so the
// limit cannot be read from the answer: a 500 for a payment above this
// default is reported as a *PaymentLimitError naming it.
const GoLivepeerMaxTotalEV = 20_000_000_000_000

// Limits a PaymentLimitError names.
const (
	// LimitTickets: the fee needs more than MaxTicketsPerPayment tickets.
	LimitTickets = "the remote signer's 100 tickets per payment"
	// LimitTotalEV: the signer's -maxTotalEV, the most ticket EV one
	// payment may carry (see GoLivepeerMaxTotalEV).
	LimitTotalEV = "the remote signer's maximum total ticket EV per payment (-maxTotalEV, 20000000000000 wei by default; the signer answered 500)"
)

// PaymentLimitError is a request that costs more than one payment of the
// remote signer may carry. Nothing was paid. errors.Is(err,
// livepeer.ErrPaymentFailed) holds.
type PaymentLimitError struct {
	Capability   Capability
	Orchestrator string   // the orchestrator's URL
	Units        int64    // the request's units
	Fee          *big.Rat // Units × the orchestrator's price, wei; nil when unknown
	TicketEV     *big.Rat // one ticket's expected value at this orchestrator, wei; nil when unknown
	Tickets      int64    // tickets the fee needs (0 when unknown)
	Limit        string   // LimitTickets or LimitTotalEV
	// SignerMessage is the signer's refusal, when the signer refused.
	SignerMessage string
}

func (e *PaymentLimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "aipipeline: %s at %s: %d units", e.Capability, e.Orchestrator, e.Units)
	if e.Fee != nil {
		fmt.Fprintf(&b, " cost %s wei", e.Fee.FloatString(0))
	}
	if e.Tickets > 0 && e.TicketEV != nil {
		fmt.Fprintf(&b, " (%d tickets of %s wei)", e.Tickets, e.TicketEV.FloatString(0))
	}
	b.WriteString(": more than ")
	b.WriteString(e.Limit)
	if e.SignerMessage != "" {
		b.WriteString(" (signer: ")
		b.WriteString(e.SignerMessage)
		b.WriteString(")")
	}
	b.WriteString("; ask for fewer units (smaller or fewer images, lower max_tokens, shorter text or audio)")
	if e.Limit == LimitTotalEV {
		b.WriteString(" or raise the signer's -maxTotalEV")
	}
	return b.String()
}

// Is matches livepeer.ErrPaymentFailed.
func (e *PaymentLimitError) Is(target error) bool { return target == lperr.ErrPaymentFailed }

// ticketsFor returns the tickets go-livepeer's signer makes for a fee at
// ticket EV ev without state: ceil(max(fee, ev) / ev)
// (server/remote_signer.go:596-598, server/segment_rpc.go:762-789
// newBalanceUpdate, core/accounting.go:41-63 StageUpdate).
func ticketsFor(fee, ev *big.Rat) int64 {
	if ev == nil || ev.Sign() <= 0 || fee == nil {
		return 0
	}
	credit := fee
	if ev.Cmp(credit) > 0 {
		credit = ev
	}
	q := new(big.Rat).Quo(credit, ev)
	n := new(big.Int).Quo(q.Num(), q.Denom())
	if !q.IsInt() {
		n.Add(n, big.NewInt(1))
	}
	if !n.IsInt64() {
		return 1 << 62
	}
	return n.Int64()
}

// payerFor pays on info, which was fetched for this payment only: a
// go-livepeer signer without state starts the ticket nonces at 0 for the
// params' recipientRandHash (server/remote_signer.go:499-504), so two
// payments on one info would reuse nonces and the second would be refused
// ("invalid ticket senderNonce"). No state is sent or kept: a batch request
// is a payment of its own (go-livepeer's 482 with state would return no
// payment and leave the balance unaccounted). paid is set once the payment
// is made.
func (c *Client) payerFor(info *discovery.Info, price *big.Rat, paid func()) Payer {
	return PayerFunc(func(ctx context.Context, orchURL string, cap Capability, units int64) (Payment, error) {
		want := cap.Discovery()
		req := &signer.PaymentRequest{Orchestrator: info, ManifestID: cap.ManifestID(), Type: signer.TypeUnits,
			InPixels: units, Capability: &want}
		if c.signer.Offchain() || !info.Onchain() {
			resp, err := signer.OffchainPayment(req)
			if err != nil {
				return Payment{}, err
			}
			paid()
			return Payment{Payment: resp.Payment, Segment: resp.SegCreds}, nil
		}
		limit := &PaymentLimitError{Capability: cap, Orchestrator: orchURL, Units: units,
			Fee: Fee(units, price), TicketEV: info.TicketParams.EV()}
		limit.Tickets = ticketsFor(limit.Fee, limit.TicketEV)
		if limit.Tickets > MaxTicketsPerPayment {
			limit.Limit = LimitTickets
			return Payment{}, limit
		}
		resp, err := c.signer.GenerateLivePayment(ctx, req)
		if err != nil {
			var ae *lperr.APIError
			if errors.As(err, &ae) {
				total := new(big.Rat).Mul(limit.TicketEV, new(big.Rat).SetInt64(limit.Tickets))
				switch m := strings.ToLower(ae.Message); {
				case strings.Contains(m, "max total ticket ev"),
					ae.StatusCode == http.StatusInternalServerError && total.Cmp(new(big.Rat).SetInt64(GoLivepeerMaxTotalEV)) > 0:
					limit.Limit, limit.SignerMessage = LimitTotalEV, ae.Message
					return Payment{}, limit
				case strings.Contains(m, "exceeds maximum of 100"):
					limit.Limit, limit.SignerMessage = LimitTickets, ae.Message
					return Payment{}, limit
				case ae.StatusCode == http.StatusInternalServerError && limit.Tickets > 0:
					// Below go-livepeer's default limit, but the signer's may be lower.
					return Payment{}, fmt.Errorf("%w (the payment was %d tickets, %s wei of EV: a go-livepeer signer answers 500 when that is above its -maxTotalEV)",
						err, limit.Tickets, total.FloatString(0))
				}
			}
			return Payment{}, err
		}
		paid()
		return Payment{Payment: resp.Payment, Segment: resp.SegCreds}, nil
	})
}
