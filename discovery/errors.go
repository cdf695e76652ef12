package discovery

import (
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Sentinels specific to discovery (the shared ones, such as
// ErrNoOrchestrator, ErrOrchestratorUnavailable or ErrClosed, are exported
// by the root package livepeer; errors from this package match them too).
var (
	// ErrInvalidCapability: a capability string could not be parsed.
	ErrInvalidCapability = errors.New("discovery: invalid capability")
	// ErrInvalidAddress: an orchestrator address is not host:port or https://host[:port].
	ErrInvalidAddress = errors.New("discovery: invalid orchestrator address")
	// ErrCapabilityNotOffered: the orchestrator does not advertise the requested capability or model.
	ErrCapabilityNotOffered = errors.New("discovery: orchestrator does not offer the capability")
	// ErrDiscoveryUnavailable: a discovery endpoint could not be reached or
	// answered with an error status.
	ErrDiscoveryUnavailable = errors.New("discovery: discovery endpoint unavailable")
	// ErrInvalidInfo: bytes given to DecodeInfo are not an OrchestratorInfo protobuf.
	ErrInvalidInfo = errors.New("discovery: invalid orchestrator info")
)

// Rejection records why one orchestrator was not used (the same type as
// livepeer.Rejection).
type Rejection = lperr.Rejection

// CapabilityError says why a capability string is invalid.
// errors.Is(err, ErrInvalidCapability) holds.
type CapabilityError struct {
	Input  string
	Reason string
}

func (e *CapabilityError) Error() string {
	return fmt.Sprintf("discovery: invalid capability %q: %s", e.Input, e.Reason)
}

// Is matches ErrInvalidCapability.
func (e *CapabilityError) Is(target error) bool { return target == ErrInvalidCapability }

// AddressError says why an orchestrator address cannot be dialled.
// errors.Is(err, ErrInvalidAddress) holds.
type AddressError struct {
	Addr   string
	Reason string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("discovery: invalid orchestrator address %q: %s", e.Addr, e.Reason)
}

// Is matches ErrInvalidAddress.
func (e *AddressError) Is(target error) bool { return target == ErrInvalidAddress }

// RPCError is a failed GetOrchestrator call. Code is the gRPC status code
// (connect.CodeDeadlineExceeded for the per-orchestrator timeout,
// connect.CodeUnavailable for a refused connection, connect.CodeUnknown for
// an orchestrator's own refusal such as a bad signature).
// errors.Is(err, livepeer.ErrOrchestratorUnavailable) holds and the
// *connect.Error is reachable with errors.As.
type RPCError struct {
	Orchestrator string
	Code         connect.Code
	Message      string
	Err          error // the *connect.Error
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("discovery: GetOrchestrator %s: %s: %s", e.Orchestrator, e.Code, e.Message)
}

// Unwrap exposes the RPC error and ErrOrchestratorUnavailable.
func (e *RPCError) Unwrap() []error { return []error{e.Err, lperr.ErrOrchestratorUnavailable} }

// transportFailure reports a call that failed below the orchestrator's
// own logic (no answer in time, refused or broken connection, a stream
// cut off), as opposed to the orchestrator refusing the request
// (CodeUnknown: go-livepeer's plain errors): its connections are suspect.
func (e *RPCError) transportFailure() bool {
	switch e.Code {
	case connect.CodeDeadlineExceeded, connect.CodeUnavailable, connect.CodeCanceled,
		connect.CodeInternal, connect.CodeAborted, connect.CodeDataLoss:
		return true
	}
	return false
}

func newRPCError(addr string, err error) *RPCError {
	e := &RPCError{Orchestrator: addr, Code: connect.CodeOf(err), Message: err.Error(), Err: err}
	var ce *connect.Error
	if errors.As(err, &ce) {
		e.Message = ce.Message()
	}
	return e
}

// DecodeError reports a discovery answer that is not the expected JSON shape.
type DecodeError struct {
	URL    string // endpoint, without query
	Reason string
	Body   []byte // the first bytes of the body (at most 4 KiB)
	Err    error
}

func (e *DecodeError) Error() string {
	s := "discovery: bad discovery response"
	if e.URL != "" {
		s += " from " + e.URL
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// EndpointError is a failed request to a discovery endpoint (transport
// error, or an HTTP error status in a *livepeer.APIError). errors.Is(err,
// ErrDiscoveryUnavailable) holds for transport errors and 5xx answers.
type EndpointError struct {
	URL  string // without query
	Err  error
	Kind error // ErrDiscoveryUnavailable, livepeer.ErrUnauthorized or nil
}

func (e *EndpointError) Error() string {
	var b strings.Builder
	b.WriteString("discovery: endpoint ")
	b.WriteString(e.URL)
	b.WriteString(" failed: ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes the cause and the classification.
func (e *EndpointError) Unwrap() []error {
	errs := []error{e.Err}
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	return errs
}
