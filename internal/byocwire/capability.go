package byocwire

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// ExternalCapability is the body of POST /capability/register
// (go-livepeer core/external_capabilities.go). The price is
// PricePerUnit/PriceScaling (a scaling of 0 counts as 1) in Currency ("",
// "wei" or "eth", any case, without a price feed) per second of compute. Token, when
// set, is sent to the worker as "Authorization: Bearer <token>".
type ExternalCapability struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	URL          string `json:"url"`
	Capacity     int    `json:"capacity"`
	PricePerUnit int64  `json:"price_per_unit"`
	PriceScaling int64  `json:"price_scaling"`
	Currency     string `json:"currency"`
	Token        string `json:"token"`
}

// DecodeExternalCapability parses a registration body and checks what a
// registration needs: a name, a URL, a currency of "", "wei" or "eth", and
// non-negative price and capacity. Errors wrap ErrBadHeader.
func DecodeExternalCapability(body []byte) (*ExternalCapability, error) {
	var c ExternalCapability
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("%w: capability: %v", ErrBadHeader, err)
	}
	switch {
	case c.Name == "":
		return nil, fmt.Errorf("%w: capability has no name", ErrBadHeader)
	case c.URL == "":
		return nil, fmt.Errorf("%w: capability %q has no url", ErrBadHeader, c.Name)
	case c.PricePerUnit < 0 || c.PriceScaling < 0 || c.Capacity < 0:
		return nil, fmt.Errorf("%w: capability %q has a negative price or capacity", ErrBadHeader, c.Name)
	}
	if _, err := c.PricePerSecond(); err != nil {
		return nil, err
	}
	return &c, nil
}

// PricePerSecond returns the price in wei per second. "eth" prices are
// scaled by 1e18. Other currencies need a price feed and give an error
// wrapping ErrBadHeader.
func (c *ExternalCapability) PricePerSecond() (*big.Rat, error) {
	scale := c.PriceScaling
	if scale == 0 {
		scale = 1
	}
	p := big.NewRat(c.PricePerUnit, scale)
	switch strings.ToLower(c.Currency) {
	case "", "wei":
		return p, nil
	case "eth":
		return p.Mul(p, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))), nil
	}
	return nil, fmt.Errorf("%w: capability %q: currency %q needs a price feed", ErrBadHeader, c.Name, c.Currency)
}
