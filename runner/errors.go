package runner

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Sentinels. Compare with errors.Is.
var (
	// ErrInvalidConfig is returned by New and Update for an invalid
	// configuration or registration (lperr.ErrInvalidConfig, shared by the
	// livepeer-go packages).
	ErrInvalidConfig = lperr.ErrInvalidConfig
	// ErrClosed is returned by calls on a closed Runner (lperr.ErrClosed).
	ErrClosed = lperr.ErrClosed
	// ErrUnauthorized is wrapped by a RefusedError or CallbackError with
	// status 401: a wrong bootstrap secret, heartbeat secret or session
	// token (lperr.ErrUnauthorized).
	ErrUnauthorized = lperr.ErrUnauthorized
	// ErrRefused is wrapped by every RefusedError: an orchestrator answered
	// a registration, heartbeat or unregister with an error status.
	ErrRefused = errors.New("runner: refused by the orchestrator")
	// ErrSessionGone is wrapped by a CallbackError with status 404 and
	// returned by Session methods once the session ended: the orchestrator
	// released it (or forgot its runner).
	ErrSessionGone = errors.New("runner: session gone")
	// ErrNoSession is returned when a request carries no live-runner
	// session (no Livepeer-Session-Id header): it did not come through an
	// orchestrator.
	ErrNoSession = errors.New("runner: request has no live-runner session")
)

// RefusedError is an orchestrator's error answer to POST /runners/heartbeat
// or /runners/{id}/unregister. go-livepeer answers 400 for an invalid
// registration (Message says which field), 401 for a wrong secret (and for
// a runner it has removed), 404 for a runner that expired or when dynamic
// registration is disabled.
type RefusedError struct {
	Orchestrator string // the orchestrator's runner-facing URL
	Op           string // "register", "heartbeat" or "unregister"
	StatusCode   int
	Message      string // the plain-text body go-livepeer sends
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("runner: %s at %s: HTTP %d: %s", e.Op, e.Orchestrator, e.StatusCode, e.Message)
}

// Unwrap returns ErrRefused, and ErrUnauthorized for a 401.
func (e *RefusedError) Unwrap() []error {
	if e.StatusCode == http.StatusUnauthorized {
		return []error{ErrRefused, ErrUnauthorized}
	}
	return []error{ErrRefused}
}

// CallbackError is an orchestrator's error answer to a session callback
// (channels, proxy, stop). 404 means the session (or its runner) is gone,
// 401 a wrong session token, 400 an invalid request.
type CallbackError struct {
	Op         string // "create channels", "delete channels", "create proxy", "stop"
	URL        string
	StatusCode int
	Message    string
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("runner: %s %s: HTTP %d: %s", e.Op, e.URL, e.StatusCode, e.Message)
}

// Unwrap returns ErrSessionGone for a 404 about the session or its runner
// (not for "trickle channel not found") and ErrUnauthorized for a 401.
func (e *CallbackError) Unwrap() error {
	switch {
	case e.sessionGone():
		return ErrSessionGone
	case e.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	}
	return nil
}

func (e *CallbackError) sessionGone() bool {
	return e.StatusCode == http.StatusNotFound && e.Message != "trickle channel not found"
}

// readyStatus is go-livepeer's isReadyStatus.
func readyStatus(s string) bool { return s == "" || s == "ready" }
