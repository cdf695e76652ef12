package payment

import (
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Sentinels re-exported from the shared error vocabulary; compare with errors.Is.
var (
	// ErrNoTicketsNeeded: the balance covers this cycle; skip it (not a failure).
	ErrNoTicketsNeeded = lperr.ErrNoTicketsNeeded
	// ErrInsufficientBalance: the payer is out of credit; retrying will not help.
	ErrInsufficientBalance = lperr.ErrInsufficientBalance
	// ErrRefreshSession: the orchestrator info could not be refreshed enough times.
	ErrRefreshSession = lperr.ErrRefreshSession
	// ErrPaymentFailed: the signer or the orchestrator refused the payment.
	ErrPaymentFailed = lperr.ErrPaymentFailed
	// ErrPriceExceeded: the orchestrator's price is above a ceiling.
	ErrPriceExceeded = lperr.ErrPriceExceeded
	// ErrOrchestratorUnavailable: the orchestrator could not be reached or answered 5xx.
	ErrOrchestratorUnavailable = lperr.ErrOrchestratorUnavailable
	// ErrSignerUnavailable: no signer could be reached.
	ErrSignerUnavailable = lperr.ErrSignerUnavailable
	// ErrClosed: the session or sender was closed.
	ErrClosed = lperr.ErrClosed
	// ErrInvalidConfig: a Config or option is invalid.
	ErrInvalidConfig = lperr.ErrInvalidConfig
)

// APIError is the shared HTTP error type (status, message, URL, orchestrator).
type APIError = lperr.APIError
