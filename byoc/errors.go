package byoc

import (
	"fmt"
	"math/big"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// JobError is a job that reached the orchestrator's worker stage and
// failed there: the worker answered an error status (passed through by
// the orchestrator), could not be reached, or refused the orchestrator's
// token. errors.Is(err, livepeer.ErrJobFailed) matches it. The job was
// charged for the time it ran; it is not retried elsewhere.
type JobError struct {
	Capability   string
	Orchestrator string
	StatusCode   int      // the worker's status as passed through (500 when unreachable)
	Message      string   // the error text
	Body         []byte   // the first bytes of the error body
	Balance      *big.Int // Livepeer-Balance after the job, when sent
}

func (e *JobError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("byoc: job %s failed on %s: HTTP %d: %s", e.Capability, e.Orchestrator, e.StatusCode, msg)
}

// Unwrap returns livepeer.ErrJobFailed.
func (e *JobError) Unwrap() error { return lperr.ErrJobFailed }

// StreamError is an "error" event sent by a job's event stream: the worker
// reported a failure in the stream, which ends with it.
// errors.Is(err, livepeer.ErrJobFailed) matches it.
type StreamError struct {
	Capability   string
	Orchestrator string
	Event        Event
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("byoc: stream %s on %s: error event: %s", e.Capability, e.Orchestrator, e.Event.Data)
}

// Unwrap returns livepeer.ErrJobFailed.
func (e *StreamError) Unwrap() error { return lperr.ErrJobFailed }
