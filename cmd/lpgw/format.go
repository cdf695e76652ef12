package main

import (
	"fmt"
	"math/big"
)

// balanceString renders an orchestrator-reported balance ("?" when none).
func balanceString(b *big.Int) string {
	if b == nil {
		return "?"
	}
	return b.String()
}

var (
	weiPerGwei = big.NewRat(1_000_000_000, 1)
	weiPerETH  = new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
)

// formatWei renders an amount of wei for people: wei below a gwei, gwei
// below a thousandth of an ETH, ETH above.
func formatWei(w *big.Rat) string {
	if w == nil || w.Sign() == 0 {
		return "0 wei"
	}
	switch {
	case w.Cmp(weiPerGwei) < 0:
		return w.FloatString(0) + " wei"
	case w.Cmp(new(big.Rat).Quo(weiPerETH, big.NewRat(1000, 1))) < 0:
		f, _ := new(big.Rat).Quo(w, weiPerGwei).Float64()
		return fmt.Sprintf("%.1f gwei", f)
	}
	f, _ := new(big.Rat).Quo(w, weiPerETH).Float64()
	return fmt.Sprintf("%.6f ETH", f)
}

// plural renders "1 payment", "2 payments".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
