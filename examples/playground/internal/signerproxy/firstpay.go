package signerproxy

import (
	"math/big"
	"sync"
	"time"
)

// firstPayWindow is how long an observed first-payment bound is trusted
// (prices and ticket parameters change slowly).
const firstPayWindow = 15 * time.Minute

// firstPayMax bounds the observations kept.
const firstPayMax = 64

// firstPayments remembers the reservations the proxy made for sessions'
// first payments (the largest payment of an lv2v session: 60 s up front).
type firstPayments struct {
	mu   sync.Mutex
	seen []firstPay
}

type firstPay struct {
	at  time.Time
	wei *big.Int
}

func (f *firstPayments) observe(wei *big.Int, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pruneLocked(now)
	if len(f.seen) == firstPayMax {
		f.seen = f.seen[1:]
	}
	f.seen = append(f.seen, firstPay{at: now, wei: new(big.Int).Set(wei)})
}

func (f *firstPayments) pruneLocked(now time.Time) {
	i := 0
	for i < len(f.seen) && now.Sub(f.seen[i].at) > firstPayWindow {
		i++
	}
	f.seen = f.seen[i:]
}

// FirstPaymentEstimate returns the smallest reservation a session's first
// payment needed in the last 15 minutes (over every orchestrator and model
// paid through this proxy), and false when none was seen. A budget below it
// cannot start a session on any of them.
func (p *Proxy) FirstPaymentEstimate() (*big.Int, bool) {
	f := &p.first
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pruneLocked(p.now())
	var low *big.Int
	for _, s := range f.seen {
		if low == nil || s.wei.Cmp(low) < 0 {
			low = s.wei
		}
	}
	if low == nil {
		return nil, false
	}
	return new(big.Int).Set(low), true
}
