package meter

import (
	"math/big"
	"strings"
)

var weiPerETH = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// FormatETH renders wei as a decimal ETH amount without trailing zeros
// ("0.0012 ETH").
func FormatETH(wei *big.Int) string {
	if wei == nil {
		wei = new(big.Int)
	}
	neg := wei.Sign() < 0
	abs := new(big.Int).Abs(wei)
	q, r := new(big.Int).QuoRem(abs, weiPerETH, new(big.Int))
	frac := r.String()
	frac = strings.Repeat("0", 18-len(frac)) + frac
	frac = strings.TrimRight(frac, "0")
	s := q.String()
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s + " ETH"
}
