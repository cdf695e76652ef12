package web

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
)

// ErrorKind names one ErrorState variant.
type ErrorKind string

// The ErrorState variants. The page renders every one of them with the same
// component (server side from the template "errorstate", client side from
// the same catalog via renderErrorState in app.js).
const (
	OutOfCredit      ErrorKind = "out-of-credit"
	PaymentFailed    ErrorKind = "payment-failed"
	PriceTooHigh     ErrorKind = "price-too-high"
	NoOrchestrator   ErrorKind = "no-orchestrator"
	SignedOut        ErrorKind = "signed-out"
	SignerDown       ErrorKind = "signer-down"
	CameraDenied     ErrorKind = "camera-denied"
	CodecUnsupported ErrorKind = "codec-unsupported"
	PipelineError    ErrorKind = "pipeline-error"
	InvalidParams    ErrorKind = "invalid-params"
	TooManyRuns      ErrorKind = "too-many-runs"
)

// ErrorState is what the page shows when a run cannot go on: a short
// headline (Title), one sentence of detail with the exact figures where
// they apply, the next step (Action, a link when ActionHref is set), and
// the raw error chain (Raw), which the page keeps in a collapsed
// "details" element instead of the main text.
type ErrorState struct {
	Kind       ErrorKind `json:"kind"`
	Title      string    `json:"title"`
	Detail     string    `json:"detail"`
	Action     string    `json:"action"`
	ActionHref string    `json:"actionHref,omitempty"`
	Raw        string    `json:"raw,omitempty"`
}

// errorCatalog is the copy of every variant; Detail is the default detail.
var errorCatalog = map[ErrorKind]ErrorState{
	OutOfCredit:      {Kind: OutOfCredit, Title: "Out of credit", Detail: "Your free trial budget is used up, so the signer refused to sign more tickets.", Action: "See your usage and keys", ActionHref: "/keys"},
	PaymentFailed:    {Kind: PaymentFailed, Title: "Payment failed", Detail: "The orchestrator did not accept a payment; your credit is untouched.", Action: "Run again"},
	PriceTooHigh:     {Kind: PriceTooHigh, Title: "Price too high", Detail: "Every orchestrator serving this model asks more than the signer's price ceiling.", Action: "Try another model or run later"},
	NoOrchestrator:   {Kind: NoOrchestrator, Title: "No orchestrator available", Detail: "No orchestrator is serving this model right now.", Action: "Try another model or run later"},
	SignedOut:        {Kind: SignedOut, Title: "Signed out", Detail: "Your session ended or your key was revoked.", Action: "Sign in to run", ActionHref: "/signin"},
	SignerDown:       {Kind: SignerDown, Title: "Signer unavailable", Detail: "The payment signer cannot be reached and nothing was charged.", Action: "Retry in a minute"},
	CameraDenied:     {Kind: CameraDenied, Title: "Camera access denied", Detail: "The browser did not give the page your camera.", Action: "Allow camera access in the address bar, then press Run again"},
	CodecUnsupported: {Kind: CodecUnsupported, Title: "Camera codec unsupported", Detail: "This browser did not offer H.264 video, which the network needs.", Action: "Use a Chromium-based browser or Safari"},
	PipelineError:    {Kind: PipelineError, Title: "The model stopped", Detail: "The stream ended on the orchestrator.", Action: "Run again"},
	InvalidParams:    {Kind: InvalidParams, Title: "Invalid parameter", Detail: "A parameter is out of range.", Action: "Fix the highlighted field"},
	TooManyRuns:      {Kind: TooManyRuns, Title: "Run limit reached", Detail: "An account may have 2 runs going at once.", Action: "Stop one of your runs below, then press Run again"},
}

// ErrorCatalog returns every variant's default copy.
func ErrorCatalog() map[ErrorKind]ErrorState {
	out := make(map[ErrorKind]ErrorState, len(errorCatalog))
	for k, v := range errorCatalog {
		out[k] = v
	}
	return out
}

// NewErrorState returns the variant kind with detail (default copy if "").
func NewErrorState(kind ErrorKind, detail string) ErrorState {
	e := errorCatalog[kind]
	if detail != "" {
		e.Detail = detail
	}
	return e
}

// ErrorStateForStatus maps a remote signer answer status to a variant, as
// the playground research tables it: 480 is retried by the SDK (it only
// surfaces when the refresh failed: payment-failed), 481 price-too-high,
// 482 is not an error (ok=false), 483 (and 402) out-of-credit, 401/403
// signed-out, 5xx signer-down, other 4xx payment-failed.
func ErrorStateForStatus(status int) (ErrorState, bool) {
	switch {
	case status == 482 || (status >= 200 && status < 300):
		return ErrorState{}, false
	case status == 480:
		return NewErrorState(PaymentFailed, "The orchestrator's session could not be refreshed."), true
	case status == 481:
		return NewErrorState(PriceTooHigh, ""), true
	case status == 483 || status == http.StatusPaymentRequired:
		return NewErrorState(OutOfCredit, ""), true
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return NewErrorState(SignedOut, ""), true
	case status >= 500:
		return NewErrorState(SignerDown, ""), true
	}
	return NewErrorState(PaymentFailed, ""), true
}

// OutOfCreditState is the out-of-credit variant with the account's exact
// figures in its one-sentence detail ("cap 0.001 ETH, used 0.000999 ETH").
func OutOfCreditState(capWei, usedWei int64) ErrorState {
	return NewErrorState(OutOfCredit, fmt.Sprintf("Your free trial budget is used up: cap %s, used %s.",
		meter.FormatETH(big.NewInt(capWei)), meter.FormatETH(big.NewInt(usedWei))))
}

// TooManyRunsState is the too-many-runs variant for an account with n live
// runs (the page lists them with a Stop button each).
func TooManyRunsState(n int) ErrorState {
	return NewErrorState(TooManyRuns, fmt.Sprintf("You have %d runs going, the most an account may have at once.", n))
}

// CannotStartState is the out-of-credit variant for a budget that cannot
// cover a run's first payment (left and need in wei).
func CannotStartState(left, need int64) ErrorState {
	return NewErrorState(OutOfCredit, fmt.Sprintf("Your free trial budget cannot start another run: %s left, and a run's first payment holds up to %s.",
		meter.FormatETH(big.NewInt(max(left, 0))), meter.FormatETH(big.NewInt(need))))
}

// ErrorStateFor maps an SDK error to a variant with the variant's default
// one-sentence detail; the error chain goes into Raw (shown collapsed).
func ErrorStateFor(err error) ErrorState {
	var k ErrorKind
	switch {
	case err == nil:
		return ErrorState{}
	case errors.Is(err, livepeer.ErrInsufficientBalance):
		k = OutOfCredit
	case errors.Is(err, livepeer.ErrUnauthorized):
		k = SignedOut
	case errors.Is(err, livepeer.ErrPriceExceeded):
		k = PriceTooHigh
	case errors.Is(err, livepeer.ErrSignerUnavailable):
		k = SignerDown
	case errors.Is(err, livepeer.ErrNoOrchestrator):
		k = NoOrchestrator
	case errors.Is(err, livepeer.ErrPaymentFailed), errors.Is(err, livepeer.ErrRefreshSession):
		k = PaymentFailed
	default:
		k = PipelineError
	}
	e := errorCatalog[k]
	e.Raw = err.Error()
	return e
}
