package lperr

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// One classification of an orchestrator's refusal for every verb: before,
// Run matched the case-sensitive "Insufficient balance" and ignored 403
// while Live lowercased the body and mapped 402/403.
func TestClassifyOrchestrator(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		msg    string
		want   error
	}{
		{"BYOC job token/request (job_orchestrator.go)", 400, "Insufficient balance for request", ErrInsufficientBalance},
		{"LV2V start (ai_http.go)", 400, "Insufficient balance", ErrInsufficientBalance},
		{"lower case, inside a JSON envelope", 402, `{"error":"insufficient balance"}`, ErrInsufficientBalance},
		{"undecodable payment", 402, "base64 decode error", ErrPaymentFailed},
		{"bad segment credentials", 403, "ErrSegSig", ErrPaymentFailed},
		{"expired auth token", 403, "expired auth token", ErrPaymentFailed},
		{"no capacity", 503, "No capacity available for capability", ErrOrchestratorUnavailable},
		{"worker failed", 500, "Internal Server Error", ErrOrchestratorUnavailable},
		{"bad gateway", 502, "", ErrOrchestratorUnavailable},
		{"bad creds", 400, "Could not verify job creds", nil},
		{"not found", 404, "stream not found", nil},
	} {
		if got := ClassifyOrchestrator(c.status, c.msg); got != c.want {
			t.Errorf("%s: ClassifyOrchestrator(%d, %q) = %v, want %v", c.name, c.status, c.msg, got, c.want)
		}
	}
}

func TestReadOrchestratorError(t *testing.T) {
	u, _ := url.Parse("https://o:8935/process/request/x?secret=1")
	resp := &http.Response{StatusCode: 400, Header: http.Header{"X-Request-Id": {"r1"}},
		Body: io.NopCloser(strings.NewReader("Insufficient balance for request")), Request: &http.Request{URL: u}}
	e := ReadOrchestratorError("process/request", "o:8935", resp)
	if !errors.Is(e, ErrInsufficientBalance) || e.Orchestrator != "o:8935" || e.StatusCode != 400 || e.RequestID != "r1" {
		t.Fatalf("got %+v", e)
	}
	if strings.Contains(e.Error(), "secret") {
		t.Fatalf("query leaked into %q", e.Error())
	}
	if want := "livepeer: process/request: HTTP 400 from https://o:8935/process/request/x: Insufficient balance for request (request id r1)"; e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}
}
