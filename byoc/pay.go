package byoc

import (
	"context"
	"fmt"
	"math/big"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// PrepaySeconds is how much compute a payment buys when the balance is
// short: go-livepeer's gateway keeps up to 120 s of balance ahead, and its
// orchestrator requires 60 s (byocwire.MinimumBalance) before it runs a job.
const PrepaySeconds = 120

// payIfShort returns the Livepeer-Payment value that brings the (payer,
// capability) balance to PrepaySeconds of compute when it is below the
// 60 s go-livepeer requires, or "" when none is needed (free, or enough
// balance). The tickets are made on the token's terms (payment.BYOCInfo):
// go-livepeer binds ticket params to the price they were issued for.
func (c *Client) payIfShort(ctx context.Context, info *discovery.Info, capability string, t *terms, cr *credentials) (string, error) {
	if t.price.Sign() <= 0 || t.balance.Cmp(byocwire.MinimumBalance(t.price)) >= 0 {
		return "", nil
	}
	if !cr.onchain {
		return "", fmt.Errorf("byoc: capability %q costs %s wei/s at %s but no remote signer is configured to pay: %w", capability, t.price.FloatString(3), info.Addr, lperr.ErrPaymentFailed)
	}
	if cr.sender != cr.payer {
		return "", fmt.Errorf("byoc: capability %q is priced but the job is signed by %s while the signer pays as %s (the orchestrator credits the sender): %w", capability, cr.sender.Hex(), cr.payer.Hex(), lperr.ErrPaymentFailed)
	}
	if c.payments == nil {
		return "", fmt.Errorf("byoc: capability %q is priced and the Client has no Payments: %w", capability, lperr.ErrPaymentFailed)
	}
	want := new(big.Rat).Mul(t.price, big.NewRat(PrepaySeconds, 1))
	secs := new(big.Rat).Quo(new(big.Rat).Sub(want, t.balance), t.price)
	n := new(big.Int).Quo(new(big.Int).Add(secs.Num(), new(big.Int).Sub(secs.Denom(), big.NewInt(1))), secs.Denom()) // ceil
	seconds := max(int(n.Int64()), 1)
	binfo, err := payment.BYOCInfo(info, capability, t.rawPrice, t.ticketParams)
	if err != nil {
		return "", err
	}
	sess, err := c.payments.NewPaymentSession(binfo, payment.Config{BYOCCapability: capability})
	if err != nil {
		return "", err
	}
	defer sess.Close()
	p, err := sess.NextBYOC(ctx, seconds)
	if err != nil {
		return "", err
	}
	return p.Payment, nil
}
