package discovery

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Sentinels shared with the rest of the SDK (same identity as livepeer.ErrX).
var (
	// ErrNoOrchestrator: no orchestrator can serve the request.
	ErrNoOrchestrator = lperr.ErrNoOrchestrator
	// ErrOrchestratorUnavailable: an orchestrator could not be reached, timed
	// out or answered GetOrchestrator with an error.
	ErrOrchestratorUnavailable = lperr.ErrOrchestratorUnavailable
	// ErrSignerUnavailable: the remote signer could not be reached.
	ErrSignerUnavailable = lperr.ErrSignerUnavailable
	// ErrPriceExceeded: the orchestrator's price is above the ceiling.
	ErrPriceExceeded = lperr.ErrPriceExceeded
	// ErrClosed: the Client was closed.
	ErrClosed = lperr.ErrClosed
	// ErrInvalidConfig: an option is invalid.
	ErrInvalidConfig = lperr.ErrInvalidConfig
)

// Sentinels specific to discovery.
var (
	// ErrInvalidCapability: a capability string could not be parsed.
	ErrInvalidCapability = errors.New("livepeer: invalid capability")
	// ErrInvalidAddress: an orchestrator address is not host:port or https://host[:port].
	ErrInvalidAddress = errors.New("livepeer: invalid orchestrator address")
	// ErrCapabilityNotOffered: the orchestrator does not advertise the requested capability or model.
	ErrCapabilityNotOffered = errors.New("livepeer: orchestrator does not offer the capability")
	// ErrDiscoveryUnavailable: a discovery endpoint could not be reached or
	// answered with an error status.
	ErrDiscoveryUnavailable = errors.New("livepeer: discovery endpoint unavailable")
)

// APIError is the shared HTTP error type.
type APIError = lperr.APIError

// NoOrchestratorError lists every orchestrator tried and why it was not used.
type NoOrchestratorError = lperr.NoOrchestratorError

// Rejection records why one orchestrator was not used.
type Rejection = lperr.Rejection

// ConfigError names an invalid option. errors.Is(err, ErrInvalidConfig) holds.
type ConfigError = lperr.ConfigError

// CapabilityError says why a capability string is invalid.
// errors.Is(err, ErrInvalidCapability) holds.
type CapabilityError struct {
	Input  string
	Reason string
}

func (e *CapabilityError) Error() string {
	return fmt.Sprintf("livepeer: invalid capability %q: %s", e.Input, e.Reason)
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
	return fmt.Sprintf("livepeer: invalid orchestrator address %q: %s", e.Addr, e.Reason)
}

// Is matches ErrInvalidAddress.
func (e *AddressError) Is(target error) bool { return target == ErrInvalidAddress }

// RPCError is a failed GetOrchestrator call. Code is the gRPC status code
// (codes.DeadlineExceeded for the per-orchestrator timeout, codes.Unavailable
// for a refused connection, codes.Unknown for an orchestrator's own refusal
// such as a bad signature). errors.Is(err, ErrOrchestratorUnavailable) holds
// and the gRPC status error is reachable with errors.As / status.FromError.
type RPCError struct {
	Orchestrator string
	Code         codes.Code
	Message      string
	Err          error // the gRPC status error
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("livepeer: GetOrchestrator %s: %s: %s", e.Orchestrator, e.Code, e.Message)
}

// Unwrap exposes the gRPC error and ErrOrchestratorUnavailable.
func (e *RPCError) Unwrap() []error { return []error{e.Err, ErrOrchestratorUnavailable} }

func newRPCError(addr string, err error) *RPCError {
	st, _ := status.FromError(err)
	return &RPCError{Orchestrator: addr, Code: st.Code(), Message: st.Message(), Err: err}
}

// DecodeError reports a discovery answer that is not the expected JSON shape.
type DecodeError struct {
	URL    string // endpoint, without query
	Reason string
	Body   []byte // the first bytes of the body (at most lperr.MaxErrorBody)
	Err    error
}

func (e *DecodeError) Error() string {
	s := "livepeer: bad discovery response"
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
// error, or an HTTP error status in an *APIError). errors.Is(err,
// ErrDiscoveryUnavailable) holds for transport errors and 5xx answers.
type EndpointError struct {
	URL  string // without query
	Err  error
	Kind error // ErrDiscoveryUnavailable or nil
}

func (e *EndpointError) Error() string {
	var b strings.Builder
	b.WriteString("livepeer: discovery ")
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
