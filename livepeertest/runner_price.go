package livepeertest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// weiPerETH is 10^18.
var weiPerETH = new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))

// priceRat parses a positive decimal price (go-livepeer priceRat).
func priceRat(p RunnerPrice) (*big.Rat, error) {
	s := strings.TrimSpace(p.Price.String())
	if s == "" {
		return nil, fmt.Errorf("price_info.price is required")
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok || v.Sign() <= 0 {
		return nil, fmt.Errorf("price_info.price must be a positive decimal")
	}
	return v, nil
}

// normalizeUSDPrice is go-livepeer's normalizeLiveRunnerPriceInfo: a
// positive price, currency "usd" (the default), unit "hour" (the default),
// "720p" or "fixed".
func normalizeUSDPrice(p RunnerPrice) (RunnerPrice, error) {
	if _, err := priceRat(p); err != nil {
		return RunnerPrice{}, err
	}
	cur := strings.ToLower(strings.TrimSpace(p.Currency))
	if cur == "" {
		cur = "usd"
	}
	if cur != "usd" {
		return RunnerPrice{}, fmt.Errorf("price_info.currency must be usd")
	}
	unit := strings.ToLower(strings.TrimSpace(p.Unit))
	if unit == "" {
		unit = "hour"
	}
	switch unit {
	case "hour", "720p", "fixed":
	default:
		return RunnerPrice{}, fmt.Errorf("price_info.unit must be hour, 720p, or fixed")
	}
	p.Currency, p.Unit = cur, unit
	return p, nil
}

// weiPrice converts a normalised USD registration price to the wei price
// advertised in discovery and charged (go-livepeer newConverterForRunner +
// convertPrice): "hour" → wei per second, "720p" → wei per pixel of 720p at
// 30 fps, "fixed" → wei; the result is truncated to an integer and must be
// at least 1 wei.
func weiPrice(p RunnerPrice, usdPerETH *big.Rat) (RunnerPrice, error) {
	usd, err := priceRat(p)
	if err != nil {
		return RunnerPrice{}, err
	}
	unit := "seconds"
	switch p.Unit {
	case "720p":
		usd.Quo(usd, big.NewRat(3600*1280*720*30, 1))
		unit = "720p-pixel-seconds"
	case "fixed":
		unit = "fixed"
	default:
		usd.Quo(usd, big.NewRat(3600, 1))
	}
	wei := new(big.Rat).Mul(usd, weiPerETH)
	wei.Quo(wei, usdPerETH)
	n := new(big.Int).Quo(wei.Num(), wei.Denom())
	if !n.IsInt64() {
		return RunnerPrice{}, fmt.Errorf("price cannot be converted to int64")
	}
	if n.Sign() <= 0 {
		return RunnerPrice{}, fmt.Errorf("converted live runner price must be at least one wei")
	}
	return RunnerPrice{Price: jsonInt(n.Int64()), Currency: "wei", Unit: unit}, nil
}

func jsonInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
