package signerproxy

import (
	"encoding/json"
	"math/big"
	"sync"
)

// maxRates bounds the accounts whose last rate is remembered.
const maxRates = 10000

// rates remembers the streaming rate (wei per second) of the last session
// each account paid for, and of the last session of anyone.
type rates struct {
	mu     sync.Mutex
	byUser map[int64]*big.Rat
	last   *big.Rat
}

func (r *rates) observe(userID int64, rate *big.Rat) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byUser == nil || len(r.byUser) >= maxRates {
		r.byUser = map[int64]*big.Rat{}
	}
	r.byUser[userID] = rate
	r.last = rate
}

// observeState records the rate of a signed state the upstream returned
// ({State, Sig} JSON; ignored when it cannot be read).
func (r *rates) observeState(userID int64, wire json.RawMessage) {
	var ws wireState
	if json.Unmarshal(wire, &ws) != nil {
		return
	}
	if _, rate, _, ok := readState(ws.State); ok {
		r.observe(userID, rate)
	}
}

// Rate returns the streaming rate, in wei per second, of the last session
// userID paid for through this proxy (else of the last session anyone paid
// for), read from the signer's state: the session's initial price times
// what go-livepeer bills per second (1280×720×30 pixels for lv2v). ok is
// false before any payment was seen.
func (p *Proxy) Rate(userID int64) (weiPerSec *big.Rat, ok bool) {
	p.rates.mu.Lock()
	defer p.rates.mu.Unlock()
	if r, ok := p.rates.byUser[userID]; ok {
		return new(big.Rat).Set(r), true
	}
	if p.rates.last != nil {
		return new(big.Rat).Set(p.rates.last), true
	}
	return nil, false
}
