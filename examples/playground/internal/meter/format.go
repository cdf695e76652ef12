package meter

import (
	"math/big"
	"strings"
)

var (
	weiPerETH  = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	weiPerGwei = big.NewInt(1_000_000_000)
	microETH   = big.NewInt(1_000_000_000_000) // 0.000001 ETH in wei
)

// sigDigits is how many significant digits FormatETH shows.
const sigDigits = 6

// FormatETH renders wei for people: ETH with at most 6 significant digits
// (truncated, never rounded up, so a figure never overstates what was
// used: 999999999999999 wei is "0.000999999 ETH"), no trailing zeros. Amounts
// below 0.000001 ETH are shown in gwei, below 1 gwei in wei. Whole ETH are
// never truncated.
func FormatETH(wei *big.Int) string {
	if wei == nil {
		wei = new(big.Int)
	}
	sign := ""
	if wei.Sign() < 0 {
		sign = "-"
	}
	abs := new(big.Int).Abs(wei)
	switch {
	case abs.Sign() == 0:
		return "0 ETH"
	case abs.Cmp(weiPerGwei) < 0:
		return sign + abs.String() + " wei"
	case abs.Cmp(microETH) < 0:
		return sign + decimal(abs, 9) + " gwei"
	}
	return sign + decimal(abs, 18) + " ETH"
}

// decimal writes v / 10^scale with at most sigDigits significant digits
// (the integer part is always whole), truncated, without trailing zeros.
func decimal(v *big.Int, scale int) string {
	digits := v.String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-scale], digits[len(digits)-scale:]
	keep := 0 // fractional digits to keep
	if intPart != "0" {
		keep = max(0, sigDigits-len(intPart))
	} else {
		lead := len(frac) - len(strings.TrimLeft(frac, "0"))
		keep = lead + sigDigits
	}
	frac = strings.TrimRight(frac[:min(keep, len(frac))], "0")
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}
