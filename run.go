package livepeer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/byoc"
)

// runGrace is how long Run waits beyond the job's timeout_seconds for the
// orchestrator's answer.
const runGrace = 10 * time.Second

// ErrUnexpectedResponse: the job answered in the other verb's format (Run
// got server-sent events, or Stream got a plain body).
var ErrUnexpectedResponse = errors.New("livepeer: unexpected response kind")

// RunResult is the answer of one BYOC job.
type RunResult struct {
	// Body is the worker's answer, passed through by the orchestrator.
	Body []byte
	// ContentType is the worker's Content-Type.
	ContentType string
	// StatusCode is the HTTP status (2xx).
	StatusCode int
	// Header holds the answer's headers.
	Header http.Header
	// Balance is the payer's balance for the capability after the job
	// (Livepeer-Balance, wei), nil when the orchestrator sent none.
	Balance *big.Int
	// Orchestrator is the address of the orchestrator that ran the job.
	Orchestrator string
	// JobID is the job's id (the header's id).
	JobID string
}

// JSON decodes Body into v. It returns an error when Body is not JSON
// for v.
func (r *RunResult) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("livepeer: decode job result (%s): %w", r.ContentType, err)
	}
	return nil
}

// DecodeJSON decodes a RunResult's body as a T.
func DecodeJSON[T any](r *RunResult) (T, error) {
	var v T
	if r == nil {
		return v, errors.New("livepeer: decode job result: nil result")
	}
	err := r.JSON(&v)
	return v, err
}

// JobError is a job that reached the orchestrator's worker stage and
// failed there: the worker answered an error status (passed through by
// the orchestrator), could not be reached, or refused the orchestrator's
// token. errors.Is(err, ErrJobFailed) matches it. The job was charged for
// the time it ran; it is not retried elsewhere.
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
	return fmt.Sprintf("livepeer: job %s failed on %s: HTTP %d: %s", e.Capability, e.Orchestrator, e.StatusCode, msg)
}

// Unwrap returns ErrJobFailed.
func (e *JobError) Unwrap() error { return ErrJobFailed }

// Run sends one BYOC job for capability (a registered BYOC capability
// name, with or without the "byoc/" prefix) and returns its answer. input
// is sent as the body: []byte, json.RawMessage and io.Reader as they are,
// anything else encoded as JSON.
//
// Run selects orchestrators advertising byoc/<capability>, asks the first
// for its terms (GET /process/token), pays when the capability is priced
// and the balance is under go-livepeer's 60 s minimum (through the remote
// signer, buying 120 s), signs the job header, and POSTs
// /process/request/[path]. It moves on to the next orchestrator only while
// the job has certainly not been accepted (token or payment failure, no
// capacity, a connection that failed before the request was written), so a
// job is never paid or run twice.
//
// Errors: *JobError (errors.Is ErrJobFailed) when the worker failed;
// *APIError for an orchestrator refusal (errors.Is ErrInsufficientBalance
// for "Insufficient balance for request"); *NoOrchestratorError when no
// orchestrator accepted the job; signer errors; a ctx error; an error
// wrapping ErrUnexpectedResponse when the worker answered an event stream
// (use Stream). Safe for concurrent use.
func (g *Gateway) Run(ctx context.Context, capability string, input any, opts ...RunOption) (*RunResult, error) {
	o := newJobOptions(opts)
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout+runGrace)
		defer cancel()
	}
	a, err := g.submitJob(ctx, capability, input, o, "")
	if err != nil {
		return nil, err
	}
	defer a.release()
	resp := a.resp
	ct := resp.Header.Get("Content-Type")
	if strings.Contains(ct, "text/event-stream") {
		return nil, fmt.Errorf("livepeer: job %s on %s answered server-sent events; use Stream: %w", a.label, a.info.Addr, ErrUnexpectedResponse)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, o.maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livepeer: job %s: %w", a.label, ctx.Err())
		}
		return nil, fmt.Errorf("livepeer: job %s on %s: read answer: %w: %w", a.label, a.info.Addr, ErrOrchestratorUnavailable, err)
	}
	if int64(len(body)) > o.maxBody {
		return nil, fmt.Errorf("livepeer: job %s on %s: answer larger than %d bytes (see WithMaxResponseBytes)", a.label, a.info.Addr, o.maxBody)
	}
	return &RunResult{
		Body: body, ContentType: ct, StatusCode: resp.StatusCode, Header: resp.Header,
		Balance: parseBalance(resp.Header.Get(byoc.HeaderBalance)), Orchestrator: a.info.Addr,
		JobID: o.requestID,
	}, nil
}
