// Package byocwire holds the BYOC ("bring your own container") wire formats of
// go-livepeer master: the signed `Livepeer` job header, the
// `Livepeer-Eth-Address` header, the JobToken answered by GET
// /process/token and the ExternalCapability registration body, with the
// client-side encoders and the orchestrator-side checks.
package byocwire

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// Error sentinels of header decoding (errors.Is).
var (
	// ErrBadHeader: the header is not base64 of the expected JSON object.
	ErrBadHeader = errors.New("byocwire: malformed header")
	// ErrNoTimeout: timeout_seconds is missing or 0. go-livepeer answers it with
	// "no timeout_seconds set with request, timeout_seconds is required".
	ErrNoTimeout = errors.New("no timeout_seconds set with request, timeout_seconds is required")
)

// JobRequest is the JSON carried, base64-encoded, in the `Livepeer` header
// (go-livepeer byoc/types.go JobRequest). Request and Parameters are JSON
// documents carried as strings. CapabilityURL is set by the orchestrator.
type JobRequest struct {
	ID             string `json:"id"`
	Request        string `json:"request"`
	Parameters     string `json:"parameters"`
	Capability     string `json:"capability"`
	CapabilityURL  string `json:"capability_url"`
	Sender         string `json:"sender"`
	Sig            string `json:"sig"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

// SignedMessage is what master's V0 signature covers: Request followed by
// Parameters, nothing else.
func (j *JobRequest) SignedMessage() []byte {
	return []byte(j.Request + j.Parameters)
}

// SignV0 sets Sender to key's checksummed address and Sig to the V0
// signature personal_sign(keccak256(request+parameters)), as the go-livepeer
// gateway does. It fails only on a nil key.
func (j *JobRequest) SignV0(key *ecdsa.PrivateKey) error {
	sig, err := Sign(key, j.SignedMessage())
	if err != nil {
		return err
	}
	j.Sender = eth.KeyAddress(key).Hex()
	j.Sig = EncodeSig(sig)
	return nil
}

// Encode renders the header value: standard base64 of the JSON object.
func (j *JobRequest) Encode() (string, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// ParseJobHeader decodes a `Livepeer` header value the way go-livepeer's
// parseJobRequest does. Errors wrap ErrBadHeader or are ErrNoTimeout
// (timeout_seconds 0 or missing).
func ParseJobHeader(h string) (*JobRequest, error) {
	if h == "" {
		return nil, fmt.Errorf("%w: empty %s header", ErrBadHeader, lphttp.HeaderJob)
	}
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %v", ErrBadHeader, err)
	}
	var j JobRequest
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	if j.TimeoutSeconds == 0 {
		return nil, ErrNoTimeout
	}
	return &j, nil
}

// VerifySig checks the header's V0 signature: sig hex-decodes (see
// DecodeSig) and recovers to Sender over request+parameters. With
// skipSignature (go-livepeer off-chain) only the hex decoding is checked.
// Errors wrap ErrBadSignature.
func (j *JobRequest) VerifySig(skipSignature bool) error {
	sig, err := DecodeSig(j.Sig)
	if err != nil {
		return err
	}
	if skipSignature {
		return nil
	}
	return Verify(lenientAddress(j.Sender), j.SignedMessage(), sig)
}
