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

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/byoc"
)

// runGrace is how long Run waits beyond the job's timeout_seconds for the
// orchestrator's answer.
const runGrace = 10 * time.Second

// Result is the answer of one job run with Run.
type Result struct {
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

	pipeline *aipipeline.Result // a built-in AI pipeline's answer (pipeline.go)
}

// JSON decodes Body into v. It returns an error when Body is not JSON
// for v.
func (r *Result) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("livepeer: decode job result (%s): %w", r.ContentType, err)
	}
	return nil
}

// DecodeJSON decodes a Result's body as a T.
func DecodeJSON[T any](r *Result) (T, error) {
	var v T
	if r == nil {
		return v, errors.New("livepeer: decode job result: nil result")
	}
	err := r.JSON(&v)
	return v, err
}

// jobKind parses a Run/Stream capability: a BYOC capability name, with or
// without "byoc/". The built-in AI pipelines ("text-to-image/<model>",
// "llm/<model>") are dispatched before (pipeline.go).
func jobKind(capability string) (name string, err error) {
	name = strings.TrimPrefix(strings.TrimSpace(capability), "byoc/")
	if name == "" || strings.ContainsAny(name, "/\r\n") {
		return "", &ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a BYOC capability (\"<name>\" or \"byoc/<name>\")", capability)}
	}
	return name, nil
}

// Run sends one job for capability and returns its answer. The capability
// is a BYOC capability ("text-reversal" or "byoc/text-reversal"; see
// package byoc). input is sent as the body: []byte, json.RawMessage and
// io.Reader as they are, anything else encoded as JSON.
//
// A built-in AI pipeline ("text-to-image/<model>", "image-to-image/...",
// "image-to-video/...", "upscale/...", "audio-to-text/...",
// "segment-anything-2/...", "llm/...", "image-to-text/...",
// "text-to-speech/..."; see package aipipeline; a bare name such as
// "upscale" is still a BYOC capability) takes its request type as input
// (TextToImage, LLMRequest...), its JSON (json.RawMessage or []byte, with
// ai-runner's field names: {"prompt": "a red fox", "width": 512}; decoded
// strictly, so an unknown field is an *InputError naming it; a file field
// holds a data: URL string) or a map[string]any of the same fields (the
// file field may hold a File). The Result carries the typed
// answer in Result.Pipeline (Body is the orchestrator's JSON). It is paid
// through the remote signer with exactly the units the orchestrator
// charges, and fails over only while nothing was charged (see
// aipipeline.Client.Run for what each call costs and when it moves on).
// Options: WithTimeout (bounds the whole call, default DefaultJobTimeout).
// Errors, besides those below: *InputError or a *PipelineError matching
// ErrBadInput (with the orchestrator's text) for bad input, never retried
// elsewhere; *PipelineError for other answers (ErrJobFailed: the runner
// failed; ErrPaymentFailed / ErrInsufficientBalance: a refused payment);
// *PaymentLimitError when the request costs more than one signer payment
// may carry; the signer's errors (ErrPriceExceeded on its 481).
//
// Run selects orchestrators advertising the capability and hands the job to
// the kind's package, which pays when needed and fails over only while the
// job has certainly not been accepted, so a job is never paid or run
// twice. Options: WithTimeout, WithRequestID, WithContentType, WithPath,
// WithSigningKey, WithMaxResponseBytes.
//
// Errors: *JobError (errors.Is ErrJobFailed) when the worker failed;
// *APIError for an orchestrator refusal (errors.Is ErrInsufficientBalance
// when out of credit); *NoOrchestratorError when no orchestrator accepted
// the job; signer errors; a ctx error; an error wrapping
// ErrUnexpectedResponse when the worker answered an event stream (use
// Stream); *ConfigError for a bad capability or option; ErrClosed after
// Close. Safe for concurrent use.
func (g *Gateway) Run(ctx context.Context, capability string, input any, opts ...CallOption) (*Result, error) {
	o, err := resolveOptions(verbRun, opts)
	if err != nil {
		return nil, err
	}
	if isPipeline(capability) {
		return g.runPipeline(ctx, capability, input, o)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout+runGrace)
	defer cancel()
	a, done, err := g.submitBYOC(ctx, capability, input, o, "")
	if err != nil {
		return nil, err
	}
	defer done()
	resp := a.Response
	ct := resp.Header.Get("Content-Type")
	if strings.Contains(ct, "text/event-stream") {
		return nil, fmt.Errorf("livepeer: job %s on %s answered server-sent events; use Stream: %w", capability, a.Orchestrator.Addr, ErrUnexpectedResponse)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, o.maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livepeer: job %s: %w", capability, ctx.Err())
		}
		return nil, fmt.Errorf("livepeer: job %s on %s: read answer: %w: %w", capability, a.Orchestrator.Addr, ErrOrchestratorUnavailable, err)
	}
	if int64(len(body)) > o.maxBody {
		return nil, fmt.Errorf("livepeer: job %s on %s: answer larger than %d bytes (see WithMaxResponseBytes)", capability, a.Orchestrator.Addr, o.maxBody)
	}
	return &Result{
		Body: body, ContentType: ct, StatusCode: resp.StatusCode, Header: resp.Header,
		Balance: byoc.ParseBalance(resp.Header.Get(byoc.HeaderBalance)), Orchestrator: a.Orchestrator.Addr,
		JobID: a.JobID,
	}, nil
}

// submitBYOC selects orchestrators for a BYOC job and submits it over the
// Gateway's job transports (one kept-alive HTTP/1.1 transport per
// orchestrator, see lphttp.Transports); done releases the answer.
func (g *Gateway) submitBYOC(ctx context.Context, capability string, input any, o *callOptions, accept string) (_ *byoc.Answer, done func(), _ error) {
	if g.closed.Load() {
		return nil, nil, ErrClosed
	}
	// A live-runner app ("runner/<app>", or "<prefix>/<rest>" whose prefix
	// is no go-livepeer pipeline): package liverunner (runners.go).
	if app, ok := runnerApp(capability); ok {
		return g.submitRunner(ctx, app, input, o, accept)
	}
	if err := o.refuse("a BYOC job", "WithPaymentInterval", "WithRunnerFilter", "WithRunnerWarnings"); err != nil {
		return nil, nil, err
	}
	name, err := jobKind(capability)
	if err != nil {
		return nil, nil, err
	}
	body, ct, err := encodeInput(input)
	if err != nil {
		return nil, nil, fmt.Errorf("livepeer: encode input: %w", err)
	}
	if o.contentType != "" {
		ct = o.contentType
	}
	sel, err := g.Select(ctx, "byoc/"+name)
	if err != nil {
		return nil, nil, err
	}
	a, err := g.byoc.Submit(ctx, &http.Client{Transport: g.jobs}, sel, byoc.Job{
		Capability: name, ID: o.requestID, Body: body, ContentType: ct, Path: o.path,
		Accept: accept, Timeout: o.timeout, SigningKey: o.key,
	})
	if err != nil {
		return nil, nil, err
	}
	return a, func() { _ = a.Close(); g.jobs.Released() }, nil
}

// encodeInput renders Run/Stream input as a body and its default content type.
func encodeInput(input any) ([]byte, string, error) {
	switch v := input.(type) {
	case nil:
		return []byte("{}"), "application/json", nil
	case []byte:
		return v, "application/octet-stream", nil
	case json.RawMessage:
		return v, "application/json", nil
	case io.Reader:
		b, err := io.ReadAll(v)
		return b, "application/octet-stream", err
	default:
		b, err := json.Marshal(v)
		return b, "application/json", err
	}
}
