package livepeertest

import (
	"fmt"
	"math/big"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// SetPrice changes the price of one of the orchestrator's capabilities
// ("live-video-to-video/noop", "byoc/text-reversal"...) to pricePerUnit wei
// per pixelsPerUnit units (0 means 1), as an operator changing
// -pricePerUnit or a BYOC capability's price would: later GetOrchestrator
// answers, job tokens and ticket params carry the new price; tickets made
// on the old one's params fail their check, as in go-livepeer, where
// ticket params are bound to the price they were issued for. It returns an
// error wrapping livepeer.ErrInvalidConfig for an unknown capability or a
// negative price.
func (o *Orchestrator) SetPrice(capability string, pricePerUnit, pixelsPerUnit int64) error {
	if pricePerUnit < 0 || pixelsPerUnit < 0 {
		return fmt.Errorf("livepeertest: SetPrice %s: negative price: %w", capability, lperr.ErrInvalidConfig)
	}
	if pixelsPerUnit == 0 {
		pixelsPerUnit = 1
	}
	for _, c := range o.caps {
		if c.name == capability {
			c.priceP.Store(big.NewRat(pricePerUnit, pixelsPerUnit))
			return nil
		}
	}
	return fmt.Errorf("livepeertest: SetPrice: the orchestrator does not serve %q: %w", capability, lperr.ErrInvalidConfig)
}

// SetAuthTokenValidity sets how long the auth tokens of later
// GetOrchestrator answers stay valid (go-livepeer: 30 minutes,
// server/rpc.go authTokenValidPeriod). Tokens already issued keep their
// expiry. d <= 0 restores the default.
func (o *Orchestrator) SetAuthTokenValidity(d time.Duration) {
	if d <= 0 {
		d = defaultAuthTokenValidity
	}
	o.tokenTTL.Store(int64(d))
}

// Connections returns how many TCP connections the orchestrator accepted
// since it started (gRPC and HTTP share its port; connections held while
// black-holed count too).
func (o *Orchestrator) Connections() int { return int(o.ln.accepted.Load()) }
