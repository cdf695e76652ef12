package aipipeline

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Sentinels, matched with errors.Is by *Error, *InputError and *CapabilityError.
// File:line references are to go-livepeer master 176aa415ccea4f9861e0dd44e981cda17fb36f52.
var (
	// ErrInvalidCapability: a capability string that is not "<pipeline>/<model>"
	// for a built-in batch pipeline.
	ErrInvalidCapability = errors.New("aipipeline: invalid capability")
	// ErrBadInput: the request is invalid. Prepare finds it before anything
	// is paid; an orchestrator answers it with 400 (undecodable body, unreadable
	// image or audio, missing max_tokens) or with a 500 whose text says the
	// runner "returned 400" or "returned 422". Another orchestrator would
	// refuse it too (go-livepeer returns it to the caller, ai_process.go:1572-1578).
	ErrBadInput = errors.New("aipipeline: bad input")
	// ErrPayment: the orchestrator refused the payment: 402 (undecodable
	// Livepeer-Payment), 403 (segment credentials), 400 for a ticket error or
	// "Insufficient balance" (server/ai_http.go:1381-1392, 1592-1603).
	ErrPayment = errors.New("aipipeline: payment refused by the orchestrator")
	// ErrNoCapacity: 503 "insufficient capacity" (server/ai_http.go:1582-1587).
	ErrNoCapacity = errors.New("aipipeline: orchestrator has no capacity")
	// ErrRetryable: another orchestrator, or the same one with fresh ticket
	// params, may succeed, and this one charged nothing: 503 insufficient
	// capacity (checked before the payment is processed), and the ticket errors
	// "ticketparams expired" and "invalid ticket sendernonce" that go-livepeer's
	// gateway retries (server/ai_process.go:1548-1566, 1607-1618). Tickets are
	// not credited and no fee is debited.
	ErrRetryable = errors.New("aipipeline: retryable elsewhere, nothing charged")
	// ErrRunner: the orchestrator took the payment but its runner failed (500).
	// The credit stays with the orchestrator (no fee is debited,
	// server/ai_http.go:1618-1627), so a retry elsewhere pays again.
	ErrRunner = errors.New("aipipeline: the orchestrator's runner failed")
	// ErrUnavailable: no usable answer: the connection failed, or the
	// orchestrator answered a status this protocol does not use (404 when it
	// serves no AI, 502, ...). Whether a payment was processed is unknown.
	ErrUnavailable = errors.New("aipipeline: orchestrator unavailable")
	// ErrBadResponse: the orchestrator answered 200 (and so debited the fee)
	// but the answer could not be decoded, or a stream ended before its last
	// chunk. The work was paid for.
	ErrBadResponse = errors.New("aipipeline: bad answer from the orchestrator")
)

// InputError is a request that Prepare refuses before anything is paid.
type InputError struct {
	Pipeline Pipeline
	Field    string // the offending field ("image", "max_tokens"), "" for the whole request
	Reason   string
	Err      error // the underlying cause, if any
}

func (e *InputError) Error() string {
	s := "aipipeline: " + string(e.Pipeline) + ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches ErrBadInput.
func (e *InputError) Is(target error) bool { return target == ErrBadInput }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

type errKind int

const (
	kindBadInput errKind = iota + 1
	kindPayment
	kindTicketRetry // a payment error go-livepeer retries
	kindNoCapacity
	kindRunner
	kindUnavailable
	kindBadResponse
)

// Error is a failed request to one orchestrator. Message is the
// orchestrator's plain-text answer (go-livepeer's respondWithError,
// server/handlers.go:1749-1752), without its trailing newline.
type Error struct {
	Orchestrator string     // the orchestrator's URL
	Capability   Capability // what was asked
	StatusCode   int        // the HTTP status; 0 when no answer arrived
	Message      string     // the orchestrator's text (at most 4 KiB), "" when none
	Err          error      // a transport or decoding cause, if any
	kind         errKind
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("aipipeline: ")
	b.WriteString(e.Capability.String())
	b.WriteString(" at ")
	b.WriteString(e.Orchestrator)
	b.WriteString(": ")
	switch {
	case e.kind == kindBadResponse:
		b.WriteString("bad answer")
	case e.StatusCode != 0:
		b.WriteString(strconv.Itoa(e.StatusCode))
	default:
		b.WriteString("no answer")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the transport or decoding cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's class: ErrBadInput, ErrPayment,
// ErrNoCapacity, ErrRunner, ErrUnavailable or ErrBadResponse, and
// ErrRetryable for capacity and retryable ticket errors (which also match
// ErrNoCapacity or ErrPayment).
//
// It also matches the SDK's shared sentinels (package livepeer), as the
// other kinds' orchestrator refusals do: livepeer.ErrInsufficientBalance
// for the orchestrator's "Insufficient balance", livepeer.ErrPaymentFailed
// for the other payment refusals (402, 403, ticket errors),
// livepeer.ErrJobFailed for a runner failure, and
// livepeer.ErrOrchestratorUnavailable for no capacity, no usable answer
// and a bad answer. Bad input matches none of them: livepeer.ErrBadInput
// is this package's ErrBadInput.
func (e *Error) Is(target error) bool {
	switch target {
	case lperr.ErrInsufficientBalance:
		return e.kind == kindPayment && e.insufficientBalance()
	case lperr.ErrPaymentFailed:
		return (e.kind == kindPayment && !e.insufficientBalance()) || e.kind == kindTicketRetry
	case lperr.ErrJobFailed:
		return e.kind == kindRunner
	case lperr.ErrOrchestratorUnavailable:
		return e.kind == kindNoCapacity || e.kind == kindUnavailable || e.kind == kindBadResponse
	case ErrBadInput:
		return e.kind == kindBadInput
	case ErrPayment:
		return e.kind == kindPayment || e.kind == kindTicketRetry
	case ErrNoCapacity:
		return e.kind == kindNoCapacity
	case ErrRetryable:
		return e.kind == kindTicketRetry || e.kind == kindNoCapacity
	case ErrRunner:
		return e.kind == kindRunner
	case ErrUnavailable:
		return e.kind == kindUnavailable
	case ErrBadResponse:
		return e.kind == kindBadResponse
	}
	return false
}

// insufficientBalance reports the orchestrator's "Insufficient balance"
// (server/ai_http.go:1592-1596): the tickets were credited, the balance
// does not cover the fee.
func (e *Error) insufficientBalance() bool {
	return strings.Contains(strings.ToLower(e.Message), "insufficient balance")
}

// Retryable reports errors.Is(e, ErrRetryable): try another orchestrator
// (or fresh ticket params); nothing was charged.
func (e *Error) Retryable() bool { return e.Is(ErrRetryable) }

// Charged reports whether the orchestrator debited the fee: only when it
// answered 200 (ErrBadResponse).
func (e *Error) Charged() bool { return e.kind == kindBadResponse }

// paymentErrorMarkers are lower-case fragments of the 400 texts that come
// from payment processing (core/orchestrator.go:113-231 ProcessPayment,
// pm/recipient.go, pm/validator.go:12-18) rather than from the request.
var paymentErrorMarkers = []string{
	"ticket", "sender", "recipient", "expected price", "inactive in round", "insufficient balance",
}

// classify builds the *Error for a non-200 answer of an orchestrator to a
// batch AI request, from its status and plain-text body.
func classify(orch string, c Capability, status int, body []byte) *Error {
	msg := strings.TrimSpace(string(body))
	e := &Error{Orchestrator: orch, Capability: c, StatusCode: status, Message: msg}
	low := strings.ToLower(msg)
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(low, x) {
				return true
			}
		}
		return false
	}
	switch {
	// go-livepeer retries these three on another session (ai_process.go:1607-1618);
	// they match on text, whatever the status.
	case has("ticketparams expired", "invalid ticket sendernonce"):
		e.kind = kindTicketRetry
	case status == http.StatusServiceUnavailable && has("insufficient capacity"):
		e.kind = kindNoCapacity
	case status == http.StatusPaymentRequired, status == http.StatusForbidden:
		e.kind = kindPayment
	case status == http.StatusBadRequest && has(paymentErrorMarkers...):
		e.kind = kindPayment
	case status == http.StatusBadRequest:
		e.kind = kindBadInput
	// The runner refused the input: go-livepeer wraps it as "<pipeline>
	// container returned 400: <msg>" in a 500 (ai/worker/worker.go:108-130)
	// and its gateway returns it as a bad request (ai_process.go:65-86).
	// 422 (FastAPI validation) is treated the same here.
	case status == http.StatusInternalServerError && has("returned 400", "returned 422"):
		e.kind = kindBadInput
	case status == http.StatusInternalServerError:
		e.kind = kindRunner
	default:
		e.kind = kindUnavailable
	}
	return e
}

func unavailable(orch string, c Capability, err error) *Error {
	return &Error{Orchestrator: orch, Capability: c, Err: err, kind: kindUnavailable}
}

func badResponse(orch string, c Capability, format string, args ...any) *Error {
	return &Error{Orchestrator: orch, Capability: c, StatusCode: http.StatusOK, Err: fmt.Errorf(format, args...), kind: kindBadResponse}
}
