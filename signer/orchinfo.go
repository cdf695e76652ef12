package signer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/eth"
)

// OrchInfoSig is the payer's address and its signature over its checksummed
// address string, as OrchestratorRequest.address / .sig need them. In
// off-chain mode both are empty.
type OrchInfoSig struct {
	Address   eth.Address
	Signature []byte
	Signer    string // base URL of the signer that answered; "" off-chain
}

// IsZero reports whether s carries no signature (off-chain).
func (s *OrchInfoSig) IsZero() bool { return s == nil || len(s.Signature) == 0 }

// SignOrchestratorInfo asks the signer for the GetOrchestrator signature
// (POST /sign-orchestrator-info). The answer never changes for a signer key,
// so the first success is cached for the Client's life; failures are not.
// Off-chain it returns a zero OrchInfoSig without I/O. Errors are *Error
// (ErrSignerUnavailable, ErrUnauthorized, *DecodeError...). Safe for concurrent use.
func (c *Client) SignOrchestratorInfo(ctx context.Context) (*OrchInfoSig, error) {
	if c.Offchain() {
		return &OrchInfoSig{}, nil
	}
	c.sigMu.Lock()
	cached := c.sigVal
	c.sigMu.Unlock()
	if cached != nil {
		return cached.clone(), nil
	}
	a, err := c.call(ctx, pathSignOrchInfo, http.MethodPost, nil, []byte("{}"))
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		return nil, classify(pathSignOrchInfo, a, false)
	}
	sig, err := DecodeOrchInfoSig(a.body)
	if err != nil {
		return nil, &Error{Op: pathSignOrchInfo, Signer: a.signer, Tried: 1, Err: err, Hint: hintBadAnswer}
	}
	sig.Signer = a.signer
	c.sigMu.Lock()
	if c.sigVal == nil {
		c.sigVal = sig
	}
	c.sigMu.Unlock()
	return sig.clone(), nil
}

func (s *OrchInfoSig) clone() *OrchInfoSig {
	v := *s
	v.Signature = append([]byte(nil), s.Signature...)
	return &v
}

// DecodeOrchInfoSig parses a /sign-orchestrator-info answer:
// {"address":"0x<40 hex>","signature":"0x<hex>"}. The address must be 20
// bytes and the signature non-empty hex. Errors are *DecodeError.
func DecodeOrchInfoSig(body []byte) (*OrchInfoSig, error) {
	var raw struct {
		Address   *string `json:"address"`
		Signature *string `json:"signature"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, &DecodeError{Op: pathSignOrchInfo, Reason: "not a JSON object with string fields", Body: truncBody(body), Err: err}
	}
	if raw.Address == nil {
		return nil, &DecodeError{Op: pathSignOrchInfo, Field: "address", Reason: "missing", Body: truncBody(body)}
	}
	addr, err := decodeHex(*raw.Address)
	if err != nil {
		return nil, &DecodeError{Op: pathSignOrchInfo, Field: "address", Reason: "not hex", Body: truncBody(body), Err: err}
	}
	if len(addr) != eth.AddressLength {
		return nil, &DecodeError{Op: pathSignOrchInfo, Field: "address", Reason: "not a 20-byte address", Body: truncBody(body)}
	}
	if raw.Signature == nil {
		return nil, &DecodeError{Op: pathSignOrchInfo, Field: "signature", Reason: "missing", Body: truncBody(body)}
	}
	sig, err := decodeHex(*raw.Signature)
	if err != nil {
		return nil, &DecodeError{Op: pathSignOrchInfo, Field: "signature", Reason: "not hex", Body: truncBody(body), Err: err}
	}
	if len(sig) == 0 {
		return nil, &DecodeError{Op: pathSignOrchInfo, Field: "signature", Reason: "empty", Body: truncBody(body)}
	}
	return &OrchInfoSig{Address: eth.BytesToAddress(addr), Signature: sig}, nil
}

// decodeHex decodes hex with or without a 0x prefix.
func decodeHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	return hex.DecodeString(s)
}
