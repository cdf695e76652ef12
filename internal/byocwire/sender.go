package byocwire

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// JobSender is the JSON in the `Livepeer-Eth-Address` header and the
// JobToken's sender_address: an address and a signature over that address
// string exactly as sent.
type JobSender struct {
	Addr string `json:"addr"`
	Sig  string `json:"sig"`
}

// NewJobSender signs key's checksummed address string. It fails only on a
// nil key.
func NewJobSender(key *ecdsa.PrivateKey) (*JobSender, error) {
	if key == nil {
		return nil, fmt.Errorf("byocwire: no signing key")
	}
	addr := eth.KeyAddress(key).Hex()
	sig, err := Sign(key, []byte(addr))
	if err != nil {
		return nil, err
	}
	return &JobSender{Addr: addr, Sig: EncodeSig(sig)}, nil
}

// Encode renders the header value: standard base64 of the JSON object.
func (s *JobSender) Encode() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// ParseEthAddressHeader decodes and checks a `Livepeer-Eth-Address` header
// as go-livepeer's verifyTokenCreds does: base64 JSON, hex signature, and —
// unless skipSignature — the signature over Addr recovers to Addr. Errors
// wrap ErrBadHeader or ErrBadSignature.
func ParseEthAddressHeader(h string, skipSignature bool) (*JobSender, error) {
	if h == "" {
		return nil, fmt.Errorf("%w: empty %s header", ErrBadHeader, lphttp.HeaderEthAddress)
	}
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %v", ErrBadHeader, err)
	}
	var s JobSender
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	sig, err := DecodeSig(s.Sig)
	if err != nil {
		return nil, err
	}
	if !skipSignature {
		if err := Verify(lenientAddress(s.Addr), []byte(s.Addr), sig); err != nil {
			return nil, err
		}
	}
	return &s, nil
}
