package aipipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Request headers (go-livepeer master 176aa415ccea4f9861e0dd44e981cda17fb36f52,
// server/segment_rpc.go:34-35, server/ai_worker.go:38).
const (
	PaymentHeader = "Livepeer-Payment"
	SegmentHeader = "Livepeer-Segment"
	// AIWorkerAuthorization is the Authorization value go-livepeer's gateway
	// sends (server/ai_process.go:1676); with it orchestrators answer image
	// results as URLs, without it as data: URLs (server/ai_http.go:1633-1653).
	AIWorkerAuthorization = "Livepeer-AI-Worker-1.0"
)

// MaxResponseBytes bounds a non-streaming JSON answer (256 MiB: inline
// images can be large).
const MaxResponseBytes = 256 << 20

// maxErrorBytes bounds the error text kept from a non-200 answer.
const maxErrorBytes = 4 << 10

// Run sends call to one orchestrator and returns its decoded answer: it asks
// payer for the payment of call.Units, POSTs the body to target.URL plus the
// pipeline's route with the payment headers, and decodes the 200 answer.
// hc must accept the orchestrator's certificate (orchestrators present
// self-signed ones); it also fetches media URLs later (Output.Bytes).
//
// Errors: the payer's error wrapped as is; *Error for the orchestrator's
// answer (errors.Is ErrBadInput, ErrPayment, ErrNoCapacity, ErrRetryable,
// ErrRunner, ErrUnavailable, ErrBadResponse); ctx's error when cancelled.
// A streaming call (call.Stream) must go through Stream.
func Run(ctx context.Context, hc *http.Client, target Target, call *Call, payer Payer) (*Result, error) {
	if call != nil && call.Stream {
		return nil, errors.New("aipipeline: Run: call streams (llm with stream:true); use Stream")
	}
	resp, base, err := send(ctx, hc, target, call, payer, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	c := call.Capability
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, badResponse(target.URL, c, "reading the answer: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return nil, badResponse(target.URL, c, "answer larger than %d bytes", MaxResponseBytes)
	}
	res := &Result{Capability: c, Orchestrator: target.URL, Units: call.Units, Fee: Fee(call.Units, target.PricePerUnit)}
	if err := decodeResult(res, body, hc, base); err != nil {
		return nil, badResponse(target.URL, c, "decoding the %s answer: %w", c.Pipeline, err)
	}
	return res, nil
}

// Stream sends a streaming LLM call (call.Stream) to one orchestrator, like
// Run, and returns the open event stream. The caller must Close it;
// cancelling ctx also ends it.
func Stream(ctx context.Context, hc *http.Client, target Target, call *Call, payer Payer) (*LLMStream, error) {
	if call != nil && !call.Stream {
		return nil, errors.New("aipipeline: Stream: call does not stream (set stream:true on an llm request)")
	}
	resp, _, err := send(ctx, hc, target, call, payer, "text/event-stream")
	if err != nil {
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		return nil, badResponse(target.URL, call.Capability, "answer is %q, not text/event-stream", ct)
	}
	return newLLMStream(ctx, resp.Body, target, call), nil
}

// send pays, posts and returns the 200 response (the caller closes its
// body) and the orchestrator's base URL; any other status becomes an *Error.
func send(ctx context.Context, hc *http.Client, target Target, call *Call, payer Payer, accept string) (*http.Response, *url.URL, error) {
	if call == nil || payer == nil {
		return nil, nil, errors.New("aipipeline: nil call or payer")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	base, err := url.Parse(target.URL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, nil, fmt.Errorf("aipipeline: orchestrator URL %q is not an absolute http(s) URL", target.URL)
	}
	c := call.Capability
	pay, err := payer.PayAI(ctx, target.URL, c, call.Units)
	if err != nil {
		return nil, nil, fmt.Errorf("aipipeline: paying %d units of %s at %s: %w", call.Units, c, target.URL, err)
	}
	u := base.JoinPath(c.Pipeline.Path())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(call.Body))
	if err != nil {
		return nil, nil, fmt.Errorf("aipipeline: %w", err)
	}
	req.Header.Set("Content-Type", call.ContentType)
	req.Header.Set("Accept", accept)
	req.Header.Set(PaymentHeader, pay.Payment)
	req.Header.Set(SegmentHeader, pay.Segment)
	if !call.InlineMedia {
		req.Header.Set("Authorization", AIWorkerAuthorization)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, nil, cerr
		}
		return nil, nil, unavailable(target.URL, c, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		return nil, nil, classify(target.URL, c, resp.StatusCode, b)
	}
	return resp, base, nil
}
