package byoc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Job is one BYOC job request (go-livepeer POST /process/request/{path}).
type Job struct {
	// Capability is the BYOC capability name (without "byoc/"). Required.
	Capability string
	// ID is the job id (the header's id and request_id); "" makes a random one.
	ID string
	// Body is sent as it is, with ContentType.
	Body        []byte
	ContentType string
	// Path is the worker sub-path: POST {orchestrator}/process/request/{Path},
	// forwarded to {worker url}/{Path}.
	Path string
	// Header is added to the request (go-livepeer reads only its own
	// headers and Content-Type; it forwards no others to the worker).
	Header http.Header
	// Accept is the Accept header ("text/event-stream" for a stream).
	Accept string
	// Timeout is the header's timeout_seconds (rounded up, at least 1 s):
	// go-livepeer's worker request timeout, and the end of an event stream.
	Timeout time.Duration
	// SigningKey signs the header instead of the Client's (see Config).
	SigningKey *ecdsa.PrivateKey
}

// Answer is a job an orchestrator accepted (a 2xx answer): its body is
// the worker's answer, a plain body or server-sent events. Close it.
type Answer struct {
	// Response is the orchestrator's answer; read Body, then Close the Answer.
	Response *http.Response
	// Orchestrator is the orchestrator that accepted the job.
	Orchestrator *discovery.Info
	// JobID is the job's id.
	JobID  string
	cancel context.CancelFunc
}

// Close releases the answer's body and stops the request.
func (a *Answer) Close() error {
	if a.cancel != nil { // nil for an Answer made outside Submit
		a.cancel()
	}
	return a.Response.Body.Close()
}

// Balance returns the payer's balance for the capability in wei as the
// answer's headers give it (Livepeer-Balance on a plain body,
// Livepeer-Payment-Balance on an event stream), or nil when absent.
func (a *Answer) Balance() *big.Int {
	if b := ParseBalance(a.Response.Header.Get(HeaderBalance)); b != nil {
		return b
	}
	return ParseBalance(a.Response.Header.Get(HeaderPaymentBalance))
}

// NewJobID returns a random job id (32 hex digits).
func NewJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Submit signs job once and sends it to the candidates in turn, failing
// over only while no orchestrator has accepted it: a token or payment
// failure, no capacity (token capacity 0 or a 503), an orchestrator that
// failed before its worker stage (a 5xx other than 504 without
// Livepeer-Balance), or a connection that failed before the request was
// written. Any other answer is final. Every failure is reported to cands
// (Reject), the final one included, so that a pool can demote the
// orchestrator for later jobs.
//
// Errors: *JobError (errors.Is livepeer.ErrJobFailed) when the worker
// failed; a *livepeer.APIError for an orchestrator refusal (classified:
// ErrInsufficientBalance for "insufficient balance", ErrPaymentFailed for
// 402/403, ErrOrchestratorUnavailable for 5xx); the candidates' error
// (*livepeer.NoOrchestratorError) when none accepted it; signer and payment
// errors; ctx.Err() wrapped; a *livepeer.ConfigError for a bad Job.
func (c *Client) Submit(ctx context.Context, hc Doer, cands Candidates, job Job) (*Answer, error) {
	if job.Capability == "" || strings.ContainsAny(job.Capability, "/\r\n") {
		return nil, &lperr.ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a BYOC capability name", job.Capability)}
	}
	if job.ID == "" {
		job.ID = NewJobID()
	}
	if job.Timeout <= 0 {
		return nil, &lperr.ConfigError{Field: "Timeout", Reason: "a BYOC job needs a positive timeout"}
	}
	cr, err := c.sign(ctx, jobRequest(job.Capability, job.ID, job.Timeout, map[string]string{"request_id": job.ID}, map[string]any{}), job.SigningKey)
	if err != nil {
		return nil, err
	}
	for {
		info, err := cands.Next(ctx)
		if err != nil {
			return nil, err
		}
		a, retry, err := c.try(ctx, hc, info, &job, cr)
		if err == nil {
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		cands.Reject(info, err)
		if !retry {
			return nil, err
		}
		c.log.DebugContext(ctx, "BYOC job not accepted, trying the next orchestrator", "orchestrator", info.Addr, "err", err)
	}
}

// try sends the job to one orchestrator. retry reports that the job was
// certainly not accepted there.
func (c *Client) try(ctx context.Context, hc Doer, info *discovery.Info, job *Job, cr *credentials) (_ *Answer, retry bool, _ error) {
	jctx, cancel := context.WithCancel(ctx)
	fail := func(retry bool, err error) (*Answer, bool, error) {
		cancel()
		return nil, retry, err
	}
	t, err := fetchTerms(jctx, hc, info, job.Capability, cr)
	if err != nil {
		return fail(true, err)
	}
	if t.capacity <= 0 {
		return fail(true, fmt.Errorf("byoc: %s has no capacity for %q: %w", info.Addr, job.Capability, lperr.ErrOrchestratorUnavailable))
	}
	pay, err := c.payIfShort(jctx, info, job.Capability, t, cr)
	if err != nil {
		return fail(!errors.Is(err, lperr.ErrInsufficientBalance), err)
	}
	url := strings.TrimRight(info.Transcoder, "/") + "/process/request/" + strings.TrimLeft(job.Path, "/")
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(jctx, trace), http.MethodPost, url, bytes.NewReader(job.Body))
	if err != nil {
		return fail(false, err)
	}
	for k, vs := range job.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if job.ContentType != "" {
		req.Header.Set("Content-Type", job.ContentType)
	}
	req.Header.Set(HeaderJob, cr.header)
	req.Header.Set(HeaderCapability, job.Capability)
	if job.Accept != "" {
		req.Header.Set("Accept", job.Accept)
	}
	if pay != "" {
		req.Header.Set(HeaderPayment, pay)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fail(false, fmt.Errorf("byoc: job %s: %w", job.Capability, ctx.Err()))
		}
		return fail(!wrote.Load(), fmt.Errorf("byoc: job %s at %s: %w: %w", job.Capability, info.Addr, lperr.ErrOrchestratorUnavailable, err))
	}
	if resp.StatusCode/100 == 2 {
		return &Answer{Response: resp, Orchestrator: info, JobID: job.ID, cancel: cancel}, false, nil
	}
	defer resp.Body.Close()
	if _, ran := resp.Header[http.CanonicalHeaderKey(HeaderBalance)]; ran {
		// The orchestrator ran the job (it debited the balance): the worker failed.
		je := &JobError{Capability: job.Capability, Orchestrator: info.Addr, StatusCode: resp.StatusCode, Balance: ParseBalance(resp.Header.Get(HeaderBalance))}
		je.Body, _ = io.ReadAll(io.LimitReader(resp.Body, lperr.MaxErrorBody))
		je.Message, _ = lperr.MessageFromBody(je.Body)
		return fail(false, je)
	}
	e := lperr.ReadOrchestratorError("process/request", info.Addr, resp)
	// A 5xx without Livepeer-Balance comes before the worker stage (503: no
	// capacity; others: the orchestrator failed reading or forwarding the
	// job): go-livepeer's processJob sets Livepeer-Balance on every answer
	// from the worker stage on (byoc/job_orchestrator.go), so the job did
	// not run, and go-livepeer's gateway tries the next orchestrator on any
	// 5xx (byoc/job_gateway.go submitJob). Unlike it, a 504 is final: a
	// gateway timeout in front of the orchestrator says nothing about
	// whether the job ran.
	return fail(resp.StatusCode >= 500 && resp.StatusCode != http.StatusGatewayTimeout, e)
}

// ParseBalance reads a balance header or SSE value ("123", "12.500"),
// rounded down to whole wei; nil when absent or malformed.
func ParseBalance(s string) *big.Int {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	q, _ := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	return q
}
