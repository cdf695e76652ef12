package livepeer

import (
	"errors"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/byoc"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Sentinel errors, the SDK's one vocabulary: defined once and exported
// here only. Compare with errors.Is: every error the SDK returns wraps its
// cause with %w, so errors.Is(err, ErrNoOrchestrator) and also
// errors.Is(err, context.Canceled) / context.DeadlineExceeded (the caller's
// own cancellation) work on any returned error. The sub-packages
// (discovery, signer, payment, byoc, lv2v, trickle, media, livepeertest)
// return these same values, so their errors match too: errors.Is(err,
// livepeer.ErrClosed) holds for every closed object.
var (
	// ErrInvalidConfig: a Config field is invalid (a *ConfigError names it).
	ErrInvalidConfig = lperr.ErrInvalidConfig
	// ErrInvalidToken: the gateway token is malformed (a *TokenError says why).
	ErrInvalidToken = lperr.ErrInvalidToken
	// ErrNoOrchestrator: no orchestrator can serve the request; the
	// *NoOrchestratorError lists every rejection.
	ErrNoOrchestrator = lperr.ErrNoOrchestrator
	// ErrOrchestratorUnavailable: an orchestrator could not be reached, timed out or failed.
	ErrOrchestratorUnavailable = lperr.ErrOrchestratorUnavailable
	// ErrSignerUnavailable: no remote signer could be reached, or all answered 5xx.
	ErrSignerUnavailable = lperr.ErrSignerUnavailable
	// ErrInsufficientBalance: the payer is out of credit; retrying will not help.
	ErrInsufficientBalance = lperr.ErrInsufficientBalance
	// ErrPaymentRequired is the same error as ErrInsufficientBalance.
	ErrPaymentRequired = lperr.ErrPaymentRequired
	// ErrPriceExceeded: the orchestrator's price is above the ceiling (Config.MaxPrice or the signer's).
	ErrPriceExceeded = lperr.ErrPriceExceeded
	// ErrRefreshSession: the signer asked for fresh orchestrator info and refreshing failed.
	ErrRefreshSession = lperr.ErrRefreshSession
	// ErrNoTicketsNeeded: the balance already covers this payment cycle (not a failure).
	ErrNoTicketsNeeded = lperr.ErrNoTicketsNeeded
	// ErrPaymentFailed: a payment was refused or could not be made.
	ErrPaymentFailed = lperr.ErrPaymentFailed
	// ErrUnauthorized: a signer or discovery endpoint refused the credentials (401/403).
	ErrUnauthorized = lperr.ErrUnauthorized
	// ErrCertificateMismatch: an orchestrator presented a TLS key other than
	// the one pinned for its address (Config.OrchestratorPins); a
	// *CertificateMismatchError names the address and both keys.
	ErrCertificateMismatch = lperr.ErrCertificateMismatch
	// ErrClosed: the object (Gateway, session, stream, client...) was closed.
	ErrClosed = lperr.ErrClosed
	// ErrStreamIdle: a stream produced nothing for longer than its idle timeout.
	ErrStreamIdle = lperr.ErrStreamIdle
	// ErrJobFailed: the job reached the worker and the worker reported a failure.
	ErrJobFailed = lperr.ErrJobFailed

	// ErrNoMediaChannel: a live session has no such media channel: Scope
	// started on an orchestrator's /scope route has control and events
	// only (go-livepeer master's StartScope), a BYOC stream may be started
	// without video. It also matches ErrInvalidConfig.
	ErrNoMediaChannel = errors.New("livepeer: live session has no such media channel")

	// ErrUnexpectedResponse: the job answered in the other verb's format
	// (Run got server-sent events, or Stream got a plain body).
	ErrUnexpectedResponse = errors.New("livepeer: unexpected response kind")

	// Sentinels of package discovery, for convenience.

	// ErrInvalidCapability: a capability string could not be parsed.
	ErrInvalidCapability = discovery.ErrInvalidCapability
	// ErrInvalidAddress: an orchestrator address is not host:port or https://host:port.
	ErrInvalidAddress = discovery.ErrInvalidAddress
	// ErrCapabilityNotOffered: an orchestrator does not advertise the capability or model.
	ErrCapabilityNotOffered = discovery.ErrCapabilityNotOffered
	// ErrDiscoveryUnavailable: the discovery endpoint could not be reached or answered 5xx.
	ErrDiscoveryUnavailable = discovery.ErrDiscoveryUnavailable

	// Sentinel of package aipipeline, for convenience.

	// ErrBadInput: a built-in AI pipeline's request is invalid: refused
	// before anything was paid (*InputError), or by the orchestrator or its
	// runner (*PipelineError carrying the orchestrator's text). Another
	// orchestrator would refuse it too.
	ErrBadInput = aipipeline.ErrBadInput
)

// Error types. Use errors.As to read their fields.
type (
	// APIError is an HTTP error answer (status, message, bounded body).
	APIError = lperr.APIError
	// ConfigError names an invalid Config field. errors.Is(err, ErrInvalidConfig) holds.
	ConfigError = lperr.ConfigError
	// TokenError names the malformed token field. errors.Is(err, ErrInvalidToken) holds.
	TokenError = lperr.TokenError
	// NoOrchestratorError lists every orchestrator tried and why it was not
	// used. errors.Is(err, ErrNoOrchestrator) holds, and errors.Is / As
	// also reach the rejection causes.
	NoOrchestratorError = lperr.NoOrchestratorError
	// Rejection records why one orchestrator was not used.
	Rejection = lperr.Rejection
	// CapabilityError says why a capability string is invalid.
	CapabilityError = discovery.CapabilityError
	// AddressError says why an orchestrator address is invalid.
	AddressError = discovery.AddressError
	// RPCError is a failed GetOrchestrator call (gRPC code and message).
	RPCError = discovery.RPCError
	// SignerError is a failed remote-signer call (which signer, what to do).
	SignerError = signer.Error
	// CertificateMismatchError is an orchestrator whose TLS key is not the
	// one pinned for its address (errors.Is(err, ErrCertificateMismatch)).
	CertificateMismatchError = orchtls.MismatchError
	// JobError is a job that reached the worker and failed there
	// (errors.Is(err, ErrJobFailed)).
	JobError = byoc.JobError
	// StreamError is an "error" event that ended a Stream
	// (errors.Is(err, ErrJobFailed)).
	StreamError = byoc.StreamError
	// PipelineError is a built-in AI pipeline's failure at one orchestrator:
	// its status and plain-text answer (Message), Retryable and Charged.
	// It matches ErrBadInput, ErrPaymentFailed, ErrInsufficientBalance,
	// ErrJobFailed (the runner failed) or ErrOrchestratorUnavailable.
	PipelineError = aipipeline.Error
	// InputError is a pipeline request refused before anything was paid
	// (errors.Is(err, ErrBadInput)).
	InputError = aipipeline.InputError
	// PaymentLimitError is a pipeline request that costs more than one
	// remote-signer payment may carry (100 tickets, or the signer's
	// -maxTotalEV); nothing was paid (errors.Is(err, ErrPaymentFailed)).
	PaymentLimitError = aipipeline.PaymentLimitError
)
