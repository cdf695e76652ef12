package signer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// BYOCJob is the part of a BYOC job header the signer signs. Request and
// Parameters are the JSON strings that go into the header as they are.
type BYOCJob struct {
	ID             string
	Capability     string
	Request        string
	Parameters     string
	TimeoutSeconds int
}

// BYOCSignature is the sender address and signature for a BYOC job header.
type BYOCSignature struct {
	Sender    string // "0x…" address of the payer
	Signature string // "0x…" hex signature
	Signer    string // base URL of the signer that answered
}

type byocWire struct {
	ID             string `json:"id"`
	Capability     string `json:"capability"`
	Request        string `json:"request"`
	Parameters     string `json:"parameters"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

// SignBYOCJob asks the signer to sign a BYOC job (POST /sign-byoc-job, a
// go-livepeer branch feature: feat/remote-signer-byoc, PR #3869). The body
// carries all five fields; which bytes are signed (request+parameters, or the
// branch's V1 binary layout) is the signer's choice and must match the
// orchestrator's build. A signer without the endpoint (404/405) gives an
// *Error wrapping ErrBYOCSigningUnsupported. Off-chain it returns an *Error
// wrapping ErrNoSigner (off-chain orchestrators take an empty signature).
// Other failures are classified as for GenerateLivePayment. Safe for
// concurrent use.
func (c *Client) SignBYOCJob(ctx context.Context, job *BYOCJob) (*BYOCSignature, error) {
	if c.Offchain() {
		return nil, &Error{Op: pathSignBYOC, Kind: ErrNoSigner, Hint: "off-chain orchestrators accept an empty job signature"}
	}
	if job == nil || job.ID == "" || job.Capability == "" {
		return nil, &Error{Op: pathSignBYOC, Kind: lperr.ErrPaymentFailed, Err: errors.New("a BYOC job needs an id and a capability")}
	}
	body, err := json.Marshal(byocWire{job.ID, job.Capability, job.Request, job.Parameters, job.TimeoutSeconds})
	if err != nil {
		return nil, &Error{Op: pathSignBYOC, Kind: lperr.ErrPaymentFailed, Err: err}
	}
	a, err := c.call(ctx, pathSignBYOC, http.MethodPost, nil, body)
	if err != nil {
		return nil, err
	}
	if a.status == http.StatusNotFound || a.status == http.StatusMethodNotAllowed {
		e := classify(pathSignBYOC, a, true).(*Error)
		e.Kind = ErrBYOCSigningUnsupported
		e.Hint = "the signer has no /sign-byoc-job endpoint (go-livepeer master lacks it); sign BYOC jobs with a local key or use a signer with BYOC support"
		return nil, e
	}
	if a.status/100 != 2 {
		return nil, classify(pathSignBYOC, a, true)
	}
	sig, err := DecodeBYOCSignature(a.body)
	if err != nil {
		return nil, &Error{Op: pathSignBYOC, Signer: a.signer, Tried: 1, Err: err, Hint: hintBadAnswer}
	}
	sig.Signer = a.signer
	return sig, nil
}

// DecodeBYOCSignature parses a /sign-byoc-job answer
// {"sender":"0x…","signature":"0x…"}: sender must be a 20-byte hex address
// and signature non-empty hex. Errors are *DecodeError.
func DecodeBYOCSignature(body []byte) (*BYOCSignature, error) {
	var raw struct {
		Sender    *string `json:"sender"`
		Signature *string `json:"signature"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, &DecodeError{Op: pathSignBYOC, Reason: "not a JSON object with string fields", Body: truncBody(body), Err: err}
	}
	if raw.Sender == nil {
		return nil, &DecodeError{Op: pathSignBYOC, Field: "sender", Reason: "missing", Body: truncBody(body)}
	}
	if b, err := decodeHex(*raw.Sender); err != nil || len(b) != 20 {
		return nil, &DecodeError{Op: pathSignBYOC, Field: "sender", Reason: "not a 20-byte hex address", Body: truncBody(body), Err: err}
	}
	if raw.Signature == nil {
		return nil, &DecodeError{Op: pathSignBYOC, Field: "signature", Reason: "missing", Body: truncBody(body)}
	}
	if b, err := decodeHex(*raw.Signature); err != nil || len(b) == 0 {
		return nil, &DecodeError{Op: pathSignBYOC, Field: "signature", Reason: "not non-empty hex", Body: truncBody(body), Err: err}
	}
	return &BYOCSignature{Sender: strings.TrimSpace(*raw.Sender), Signature: strings.TrimSpace(*raw.Signature)}, nil
}
