package liverunner

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ErrSessionReleased reports a session the orchestrator released on its
// own: its payment route answered 404 (go-livepeer releases a session when
// an interval charge fails, when the runner stops it, expires or becomes
// unavailable). A session released while its payments were failing also
// matches livepeer.ErrInsufficientBalance: it ran out of prepaid time.
var ErrSessionReleased = errors.New("liverunner: session released by the orchestrator")

// ErrNotPaid reports a priced runner that the Client cannot pay: it has
// no remote signer (off-chain). errors.Is(err, livepeer.ErrPaymentFailed)
// holds too.
var ErrNotPaid = fmt.Errorf("liverunner: the runner is priced and no remote signer is configured: %w", lperr.ErrPaymentFailed)

// AppError is a non-2xx answer of a runner's application to Run or Stream
// (the orchestrator passes the app's status through). errors.Is(err,
// livepeer.ErrJobFailed) holds. It is not retried elsewhere: the request
// reached the app.
type AppError struct {
	App        string
	Runner     string // the runner URL
	StatusCode int
	Message    string // the error text (JSON envelope or plain text)
	Body       []byte // the first bytes of the body
}

func (e *AppError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("liverunner: app %s at %s answered HTTP %d: %s", e.App, e.Runner, e.StatusCode, msg)
}

// Unwrap returns livepeer.ErrJobFailed.
func (e *AppError) Unwrap() error { return lperr.ErrJobFailed }

// WarningKind says what a Warning is about.
type WarningKind string

// Warning kinds.
const (
	// WarnOutOfCredit: the signer says the payer is out of credit; the
	// session runs on what it prepaid and ends (ErrInsufficientBalance)
	// when the orchestrator releases it.
	WarnOutOfCredit WarningKind = "out-of-credit"
	// WarnPaymentOutage: the signer could not make a payment (unreachable,
	// refusing, asking a refresh that failed); the session runs on prepaid
	// time while later ticks retry.
	WarnPaymentOutage WarningKind = "payment-outage"
	// WarnPaymentRefused: the orchestrator refused a payment (400, 402,
	// 403); the session is not released by it, later ticks retry.
	WarnPaymentRefused WarningKind = "payment-refused"
	// WarnOrchestratorUnreachable: a payment could not reach the
	// orchestrator (transport error or 5xx); after DefaultMaxFailures in a
	// row the session ends with livepeer.ErrOrchestratorUnavailable.
	WarnOrchestratorUnreachable WarningKind = "orchestrator-unreachable"
	// WarnPaymentsResumed: a payment went through after warnings.
	WarnPaymentsResumed WarningKind = "payments-resumed"
)

// Warning is something a running session wants its user to know while it
// goes on: payments that fail and the session riding on prepaid time, or
// their recovery. A kind is given once per episode (not at every failing
// tick) until payments resume. Err is the cause (nil for
// WarnPaymentsResumed).
type Warning struct {
	Kind    WarningKind
	Session string // the session id
	Err     error
	At      time.Time
}

// String prints the kind, the session and the cause.
func (w Warning) String() string {
	if w.Err == nil {
		return fmt.Sprintf("live runner session %s: %s", w.Session, w.Kind)
	}
	return fmt.Sprintf("live runner session %s: %s: %v", w.Session, w.Kind, w.Err)
}
