package byocwire

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// JobToken is the JSON answer of GET /process/token (go-livepeer
// byoc/types.go JobToken). TicketParams and Price are the protobuf structs
// marshalled by encoding/json, as go-livepeer does: snake_case keys for
// ticket params, bytes as standard base64, and pricePerUnit/pixelsPerUnit
// for the price. Balance is the sender's balance for this capability in
// wei, rounded to an integer. Price is in wei per second of compute.
type JobToken struct {
	SenderAddress     *JobSender          `json:"sender_address,omitempty"`
	TicketParams      *lpnet.TicketParams `json:"ticket_params,omitempty"`
	Balance           int64               `json:"balance,omitempty"`
	Price             *lpnet.PriceInfo    `json:"price,omitempty"`
	ServiceAddr       string              `json:"service_addr,omitempty"`
	AvailableCapacity int64               `json:"available_capacity,omitempty"`
	LastNonce         uint32
}

// DecodeJobToken parses a /process/token answer. Errors wrap ErrBadHeader.
func DecodeJobToken(body []byte) (*JobToken, error) {
	var t JobToken
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("%w: job token: %v", ErrBadHeader, err)
	}
	return &t, nil
}

// PricePerSecond returns the price in wei per second of compute
// (pricePerUnit / pixelsPerUnit, where pixelsPerUnit 0 counts as 1); zero
// when the token carries no price.
func (t *JobToken) PricePerSecond() *big.Rat {
	if t == nil || t.Price == nil {
		return new(big.Rat)
	}
	den := t.Price.GetPixelsPerUnit()
	if den <= 0 {
		den = 1
	}
	return big.NewRat(t.Price.GetPricePerUnit(), den)
}

// MinimumBalance is the balance go-livepeer requires before it runs a job
// with a non-zero price: 60 seconds of compute.
func MinimumBalance(pricePerSecond *big.Rat) *big.Rat {
	return new(big.Rat).Mul(pricePerSecond, big.NewRat(60, 1))
}
