package livepeertest

import (
	"errors"
	"math/big"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// capability returns the orchestrator's capability with this id and model
// (BYOC: capability name), or nil.
func (ls *LiveServer) capability(id uint32, model string) *capability {
	for _, c := range ls.o.caps {
		if c.id == id && c.model == model {
			return c
		}
	}
	return nil
}

// chargedPrice is the price a stream is charged at: the capability's price,
// or nil (free) off-chain, where go-livepeer quotes no price.
func (ls *LiveServer) chargedPrice(c *capability) *big.Rat {
	if ls.o.isOffchain() || c.price() == nil || c.price().Sign() == 0 {
		return nil
	}
	return c.price()
}

// lv2vStartPayment handles the payment sent with an LV2V start, as
// go-livepeer's StartLiveVideoToVideo does: process it into the new
// manifest's balance (402/403/400 from processPaymentFor), then, for a priced
// payment, require at least one ticket's worth of balance (400
// "Insufficient balance"). It returns the payer and, on error, the status.
func (ls *LiveServer) lv2vStartPayment(r *http.Request, mid string) (eth.Address, int, error) {
	sender, err := ls.o.processPaymentFor(r, mid)
	if err != nil {
		var pe *paymentError
		if errors.As(err, &pe) {
			return sender, pe.StatusCode, err
		}
		return sender, http.StatusInternalServerError, err
	}
	p, derr := decodePayment(r.Header.Get(lphttp.HeaderPayment))
	if derr == nil && p.GetExpectedPrice().GetPricePerUnit() > 0 && !ls.o.sufficientBalance(sender, mid) {
		return sender, http.StatusBadRequest, errors.New("Insufficient balance")
	}
	return sender, 0, nil
}

// liveRatCeil returns ⌈r⌉ for r ≥ 0.
func liveRatCeil(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}
