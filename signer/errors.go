package signer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ErrBYOCSigningUnsupported is returned by SignBYOCJob when the signer has no
// /sign-byoc-job endpoint (HTTP 404/405: go-livepeer master does not have it).
var ErrBYOCSigningUnsupported = errors.New("signer: remote signer does not support BYOC job signing (no /sign-byoc-job endpoint); sign BYOC jobs with a local key or use a signer built with BYOC support")

// ErrNoSigner is returned by calls that need a remote signer on an off-chain
// Client (DiscoverOrchestrators).
var ErrNoSigner = errors.New("signer: no remote signer configured")

// Error is the error every Client call returns on failure. It says which
// operation failed, which signer answered (or was tried last) and what to do;
// Err is the cause (*livepeer.APIError for an HTTP answer, *DecodeError for a
// malformed answer, or a transport error) and Kind the classification
// sentinel (livepeer.ErrSignerUnavailable, ErrInsufficientBalance,
// ErrPriceExceeded, ErrRefreshSession, ErrNoTicketsNeeded, ErrUnauthorized,
// ErrPaymentFailed, or this package's ErrBYOCSigningUnsupported / ErrNoSigner).
// errors.Is and errors.As see both.
type Error struct {
	Op     string // "sign-orchestrator-info", "generate-live-payment", "sign-byoc-job", "discover-orchestrators"
	Signer string // base URL of the signer that answered or was tried last (credentials redacted)
	// OrchestratorURL is the Livepeer-Orchestrator-URL header of a 480 answer:
	// the orchestrator whose info must be refreshed.
	OrchestratorURL string
	// Tried is how many signer URLs were tried (more than 1 after failover).
	Tried int
	Hint  string // what to do about it
	Kind  error  // classification sentinel, may be nil
	Err   error  // cause
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("signer: remote signer")
	if e.Op != "" {
		b.WriteString(" ")
		b.WriteString(e.Op)
	}
	if e.Signer != "" {
		b.WriteString(" (")
		b.WriteString(e.Signer)
		if e.Tried > 1 {
			fmt.Fprintf(&b, ", %d signers tried", e.Tried)
		}
		b.WriteString(")")
	}
	b.WriteString(" failed")
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	} else if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap exposes the cause and the classification to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	return errs
}

// DecodeError reports a signer answer that could not be used: bad JSON, a
// wrong type, or a missing or malformed field.
type DecodeError struct {
	Op     string // the endpoint
	Field  string // the field at fault, "" for the whole body
	Reason string
	Body   []byte // the first bytes of the body (at most lperr.MaxErrorBody)
	Err    error  // underlying decoding error, optional
}

func (e *DecodeError) Error() string {
	s := "signer: bad " + e.Op + " response"
	if e.Field != "" {
		s += ": field " + e.Field
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

func truncBody(b []byte) []byte {
	if len(b) > lperr.MaxErrorBody {
		b = b[:lperr.MaxErrorBody]
	}
	return append([]byte(nil), b...)
}

const (
	hintUnavailable  = "check the signer URL and that the signer is running"
	hintUnauthorized = "check the signer headers / API key"
	hintBalance      = "top up the payer's deposit/reserve or raise the spending cap; retrying will not help"
	hintPrice        = "choose another orchestrator or raise the maximum price"
	hintRefresh      = "fetch fresh orchestrator info (GetOrchestrator) and retry"
	hintNoTickets    = "the balance already covers this cycle; skip it and pay later"
	hintBadAnswer    = "the signer answered with something that is not a go-livepeer remote-signer response; check the signer URL"
)
