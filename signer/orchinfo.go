package signer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/eth"
)

// SignOrchestratorInfo asks the signer for the GetOrchestrator signature
// (POST /sign-orchestrator-info): the payer's address and its signature
// over the EIP-55 address string. The answer never changes for a signer key,
// so the first success is cached for the Client's life; failures are not.
// Off-chain it returns a zero RequestSignature without I/O. Errors are
// *Error (livepeer.ErrSignerUnavailable, ErrUnauthorized, *DecodeError...).
// It makes *Client a discovery.RequestSigner. Safe for concurrent use.
func (c *Client) SignOrchestratorInfo(ctx context.Context) (*discovery.RequestSignature, error) {
	if c.Offchain() {
		return &discovery.RequestSignature{}, nil
	}
	c.sigMu.Lock()
	cached := c.sigVal
	c.sigMu.Unlock()
	if cached != nil {
		return cloneSig(cached), nil
	}
	a, err := c.call(ctx, pathSignOrchInfo, http.MethodPost, nil, []byte("{}"))
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		return nil, classify(pathSignOrchInfo, a, false)
	}
	sig, err := DecodeRequestSignature(a.body)
	if err != nil {
		return nil, &Error{Op: pathSignOrchInfo, Signer: a.signer, Tried: 1, Err: err, Hint: hintBadAnswer}
	}
	sig.Signer = a.signer
	c.sigMu.Lock()
	if c.sigVal == nil {
		c.sigVal = sig
	}
	c.sigMu.Unlock()
	return cloneSig(sig), nil
}

func cloneSig(s *discovery.RequestSignature) *discovery.RequestSignature {
	v := *s
	v.Signature = append([]byte(nil), s.Signature...)
	return &v
}

// DecodeRequestSignature parses a /sign-orchestrator-info answer:
// {"address":"0x<40 hex>","signature":"0x<hex>"}. The address must be 20
// bytes and the signature non-empty hex. Errors are *DecodeError.
func DecodeRequestSignature(body []byte) (*discovery.RequestSignature, error) {
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
	return &discovery.RequestSignature{Address: eth.BytesToAddress(addr), Signature: sig}, nil
}

// decodeHex decodes hex with or without a 0x prefix.
func decodeHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	return hex.DecodeString(s)
}
