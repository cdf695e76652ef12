// Package lperr defines the error vocabulary shared by every livepeer-go
// package. The root package and the public sub-packages re-export these
// values, so errors.Is and errors.As work the same whichever package a
// caller imports.
package lperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Sentinels. Compare with errors.Is.
var (
	// ErrInvalidConfig: a Gateway (or client) option is invalid. Returned at construction.
	ErrInvalidConfig = errors.New("livepeer: invalid configuration")
	// ErrInvalidToken: the gateway token could not be decoded or has a field of the wrong type.
	ErrInvalidToken = errors.New("livepeer: invalid token")
	// ErrNoOrchestrator: no orchestrator could serve the request (none found, or all rejected).
	ErrNoOrchestrator = errors.New("livepeer: no orchestrator available")
	// ErrOrchestratorUnavailable: an orchestrator could not be reached or answered with a server error.
	ErrOrchestratorUnavailable = errors.New("livepeer: orchestrator unavailable")
	// ErrSignerUnavailable: no remote signer could be reached, or every one answered 5xx.
	ErrSignerUnavailable = errors.New("livepeer: remote signer unavailable")
	// ErrInsufficientBalance: the payer is out of credit (signer 483, cap reached, orchestrator
	// "insufficient balance"). Top up or raise the cap; retrying will not help.
	ErrInsufficientBalance = errors.New("livepeer: insufficient balance")
	// ErrPaymentRequired is the same condition as ErrInsufficientBalance.
	ErrPaymentRequired = ErrInsufficientBalance
	// ErrPriceExceeded: the orchestrator's price is above the configured ceiling (signer 481).
	ErrPriceExceeded = errors.New("livepeer: orchestrator price exceeds the maximum")
	// ErrRefreshSession: the signer asks for fresh orchestrator info (signer 480). Payment
	// sessions handle it internally; it surfaces only after repeated refreshes fail.
	ErrRefreshSession = errors.New("livepeer: orchestrator session refresh required")
	// ErrNoTicketsNeeded: the signer says the balance already covers this cycle (signer 482).
	// Not a failure: the payment cycle is skipped.
	ErrNoTicketsNeeded = errors.New("livepeer: no payment needed this cycle")
	// ErrPaymentFailed: the orchestrator rejected a payment, or the signer could not make one.
	ErrPaymentFailed = errors.New("livepeer: payment failed")
	// ErrUnauthorized: a remote signer (or another service) refused the credentials sent with
	// the request (HTTP 401/403). Check the signer headers / API key.
	ErrUnauthorized = errors.New("livepeer: unauthorized")
	// ErrCertificateMismatch: an orchestrator presented a TLS certificate whose public key
	// differs from the one pinned for its address (orchtls).
	ErrCertificateMismatch = errors.New("livepeer: orchestrator certificate does not match its pin")
	// ErrClosed: the object was closed.
	ErrClosed = errors.New("livepeer: closed")
	// ErrStreamIdle: a stream produced nothing for longer than its idle timeout.
	ErrStreamIdle = errors.New("livepeer: stream idle timeout")
	// ErrJobFailed: the job reached the worker and the worker reported a failure.
	ErrJobFailed = errors.New("livepeer: job failed")
)

// MaxErrorBody bounds how much of an error response body is kept.
const MaxErrorBody = 4 << 10

// APIError is an HTTP-level error answer from an orchestrator, a remote
// signer or a discovery endpoint.
type APIError struct {
	Op           string // what was being done, e.g. "generate-live-payment"
	URL          string // the endpoint (without query)
	StatusCode   int
	Code         string // machine-readable code from the body, when present
	Message      string // human message from the body (JSON error envelope or plain text)
	Body         []byte // the first MaxErrorBody bytes of the body
	Orchestrator string // orchestrator address, when the call concerned one
	Signer       string // signer base URL, when the call went to a signer
	RequestID    string
	// Kind classifies the error (one of the sentinels above, or nil); Unwrap returns it.
	Kind error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("livepeer: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if e.URL != "" {
		b.WriteString(" from ")
		b.WriteString(e.URL)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Unwrap returns the classification sentinel, so errors.Is(err, ErrInsufficientBalance) works.
func (e *APIError) Unwrap() error { return e.Kind }

// ReadAPIError builds an APIError from a non-success response, reading at most
// MaxErrorBody bytes of its body (the caller still closes it). The message is
// taken from go-livepeer's JSON envelope {"error":{"message":...}}, from
// {"error":"..."} / {"message":...}, or from the plain-text body.
func ReadAPIError(op string, resp *http.Response, kind error) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	e := &APIError{Op: op, StatusCode: resp.StatusCode, Body: body, Kind: kind}
	if resp.Request != nil && resp.Request.URL != nil {
		u := *resp.Request.URL
		u.RawQuery, u.User = "", nil
		e.URL = u.String()
	}
	e.RequestID = resp.Header.Get("X-Request-Id")
	e.Message, e.Code = MessageFromBody(body)
	return e
}

// MessageFromBody extracts a human message and an optional code from an error body.
func MessageFromBody(body []byte) (msg, code string) {
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return "", ""
	}
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Code    string          `json:"code"`
		Reason  string          `json:"reason"`
	}
	if json.Unmarshal(body, &env) == nil {
		var inner struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		}
		var s string
		switch {
		case len(env.Error) > 0 && json.Unmarshal(env.Error, &inner) == nil && inner.Message != "":
			return inner.Message, firstNonEmpty(inner.Code, env.Code)
		case len(env.Error) > 0 && json.Unmarshal(env.Error, &s) == nil && s != "":
			return firstNonEmpty(env.Message, s), firstNonEmpty(env.Code, s)
		case env.Message != "":
			return env.Message, env.Code
		case env.Reason != "":
			return env.Reason, env.Code
		}
	}
	const maxMsg = 512
	if len(trimmed) > maxMsg {
		trimmed = trimmed[:maxMsg] + "…"
	}
	return trimmed, ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ConfigError names an invalid configuration field. errors.Is(err, ErrInvalidConfig) holds.
type ConfigError struct {
	Field  string // e.g. "SignerURL", "Orchestrators[2]"
	Reason string
	Err    error // underlying cause, optional
}

func (e *ConfigError) Error() string {
	s := "livepeer: invalid config: " + e.Field + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }
func (e *ConfigError) Unwrap() error        { return e.Err }

// TokenError says why a gateway token is malformed. errors.Is(err, ErrInvalidToken) holds.
type TokenError struct {
	Field  string // the token field at fault, "" for the envelope (base64/JSON)
	Reason string
	Err    error
}

func (e *TokenError) Error() string {
	s := "livepeer: invalid token"
	if e.Field != "" {
		s += ": " + e.Field
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TokenError) Is(target error) bool { return target == ErrInvalidToken }
func (e *TokenError) Unwrap() error        { return e.Err }

// Rejection records why one orchestrator was not used.
type Rejection struct {
	Orchestrator string
	Err          error
}

// NoOrchestratorError lists every orchestrator tried. errors.Is(err, ErrNoOrchestrator) holds;
// errors.Is also matches the causes of the rejections (e.g. ErrInsufficientBalance when
// every orchestrator was refused for lack of credit).
type NoOrchestratorError struct {
	Capability string
	Reason     string // e.g. "no orchestrator advertises the capability", "all orchestrators failed"
	Rejections []Rejection
}

func (e *NoOrchestratorError) Error() string {
	var b strings.Builder
	b.WriteString("livepeer: no orchestrator available")
	if e.Capability != "" {
		b.WriteString(" for ")
		b.WriteString(e.Capability)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if n := len(e.Rejections); n > 0 {
		fmt.Fprintf(&b, " (%d tried", n)
		for i, r := range e.Rejections {
			if i == 3 {
				fmt.Fprintf(&b, "; and %d more", n-3)
				break
			}
			fmt.Fprintf(&b, "; %s: %v", r.Orchestrator, r.Err)
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *NoOrchestratorError) Is(target error) bool { return target == ErrNoOrchestrator }

// Unwrap exposes the rejection causes to errors.Is / errors.As.
func (e *NoOrchestratorError) Unwrap() []error {
	errs := make([]error, 0, len(e.Rejections))
	for _, r := range e.Rejections {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errs
}

// ClassifyOrchestrator classifies an orchestrator's non-2xx HTTP answer,
// the same way for every verb and endpoint (job token, job request, LV2V
// start, BYOC stream start/update/payment/stop, /payment):
//   - a message containing "insufficient balance" (any case: go-livepeer
//     writes "Insufficient balance for request" on BYOC and "Insufficient
//     balance" on LV2V) → ErrInsufficientBalance;
//   - 402 Payment Required (undecodable payment) and 403 Forbidden (bad
//     segment credentials or auth token) → ErrPaymentFailed;
//   - 5xx (503: no capacity; others: the orchestrator failed) →
//     ErrOrchestratorUnavailable;
//   - anything else → nil (a refusal the caller interprets).
func ClassifyOrchestrator(status int, message string) error {
	switch {
	case strings.Contains(strings.ToLower(message), "insufficient balance"):
		return ErrInsufficientBalance
	case status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return ErrPaymentFailed
	case status >= 500:
		return ErrOrchestratorUnavailable
	}
	return nil
}

// ReadOrchestratorError reads a non-2xx answer of orchestrator (its
// address) to op into an *APIError classified by ClassifyOrchestrator.
// The caller still closes the body.
func ReadOrchestratorError(op, orchestrator string, resp *http.Response) *APIError {
	e := ReadAPIError(op, resp, nil)
	e.Kind = ClassifyOrchestrator(resp.StatusCode, e.Message+" "+string(e.Body))
	e.Orchestrator = orchestrator
	return e
}
