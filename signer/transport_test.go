package signer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

func payReq() *PaymentRequest { return &PaymentRequest{Orchestrator: testInfo(), Type: TypeLV2V} }

func TestRetriesOnlySafeStatuses(t *testing.T) {
	for _, st := range []int{429, 502, 503, 504} {
		f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			if n < 3 {
				jsonError(w, st, "busy")
				return
			}
			w.Write([]byte(goodPaymentBody))
		})
		c := fastClient(t, []string{f.URL})
		_, err := c.GenerateLivePayment(context.Background(), payReq())
		require.NoError(t, err, st)
		assert.EqualValues(t, 3, f.hits.Load(), "status %d retried", st)
		reqs := f.requests()
		assert.Equal(t, reqs[0].Body, reqs[2].Body, "the body is replayed unchanged")
	}
	for _, st := range []int{400, 401, 480, 482, 500, 501} {
		f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, st, "no") })
		c := fastClient(t, []string{f.URL})
		_, err := c.GenerateLivePayment(context.Background(), payReq())
		require.Error(t, err)
		assert.EqualValues(t, 1, f.hits.Load(), "status %d not retried", st)
	}
}

func TestRetriesExhaustedIsUnavailable(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 503, "cache empty") })
	c := fastClient(t, []string{f.URL})
	_, err := c.SignOrchestratorInfo(context.Background())
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	assert.EqualValues(t, 3, f.hits.Load(), "1 attempt + 2 retries")
	var ae *lperr.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
	assert.Equal(t, "cache empty", ae.Message)
	assert.Contains(t, err.Error(), "check the signer URL and that the signer is running")
}

func TestFailoverReportsAnsweringSigner(t *testing.T) {
	down := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 500, "boom") })
	up := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { w.Write([]byte(goodPaymentBody)) })
	c := fastClient(t, []string{down.URL, up.URL})
	resp, err := c.GenerateLivePayment(context.Background(), payReq())
	require.NoError(t, err)
	assert.Equal(t, up.URL, resp.Signer)
	assert.EqualValues(t, 1, down.hits.Load())
	// The signer that answered is tried first next time.
	resp, err = c.GenerateLivePayment(context.Background(), payReq())
	require.NoError(t, err)
	assert.Equal(t, up.URL, resp.Signer)
	assert.EqualValues(t, 1, down.hits.Load())
	assert.EqualValues(t, 2, up.hits.Load())
}

func TestFailoverOnConnectionError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	up := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]string{"address": testAddr, "signature": "0x01"})
	})
	c := fastClient(t, []string{dead, up.URL})
	sig, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, up.URL, sig.Signer)

	c = fastClient(t, []string{dead})
	_, err = c.SignOrchestratorInfo(context.Background())
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, dead, se.Signer)
	var ne net.Error
	assert.True(t, errors.As(err, &ne), "the transport error is kept: %v", err)
}

func TestAllSignersFail(t *testing.T) {
	a := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 500, "a down") })
	b := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 502, "b down") })
	c := fastClient(t, []string{a.URL, b.URL})
	_, err := c.GenerateLivePayment(context.Background(), payReq())
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Tried)
	assert.Equal(t, b.URL, se.Signer)
	assert.Contains(t, err.Error(), "2 signers tried")
	assert.Contains(t, err.Error(), "b down")
}

func TestFourXXDoesNotFailOver(t *testing.T) {
	a := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 483, "cap") })
	b := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { w.Write([]byte(goodPaymentBody)) })
	c := fastClient(t, []string{a.URL, b.URL})
	_, err := c.GenerateLivePayment(context.Background(), payReq())
	require.ErrorIs(t, err, lperr.ErrInsufficientBalance)
	assert.EqualValues(t, 0, b.hits.Load())
}

func TestContextCancelStopsRetries(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 503, "busy") })
	c, err := New(Config{URLs: []string{f.URL}, MaxRetries: 5, RetryWaitMin: time.Hour, RetryWaitMax: time.Hour})
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.GenerateLivePayment(ctx, payReq())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.EqualValues(t, 1, f.hits.Load())
}

func TestRetryAfterIsCapped(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n == 1 {
			w.Header().Set("Retry-After", "3600")
			jsonError(w, 429, "slow down")
			return
		}
		w.Write([]byte(goodPaymentBody))
	})
	c := fastClient(t, []string{f.URL})
	start := time.Now()
	_, err := c.GenerateLivePayment(context.Background(), payReq())
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestPerAttemptTimeout(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.Write([]byte(goodPaymentBody))
	})
	c := fastClient(t, []string{f.URL}, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	_, err := c.GenerateLivePayment(context.Background(), payReq())
	require.NoError(t, err)
	assert.EqualValues(t, 2, f.hits.Load())
}

func TestHeaderValuesNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n == 1 {
			jsonError(w, 503, "busy")
			return
		}
		jsonError(w, 500, "down")
	})
	c := fastClient(t, []string{f.URL}, func(c *Config) { c.Logger = log; c.Headers = http.Header{"Authorization": {"Bearer s3cret-value"}} })
	_, err := c.GenerateLivePayment(context.Background(), payReq())
	require.Error(t, err)
	assert.NotEmpty(t, buf.String(), "the logger is used")
	assert.NotContains(t, buf.String(), "s3cret-value")
	assert.NotContains(t, err.Error(), "s3cret-value")
	assert.Equal(t, "Bearer s3cret-value", f.requests()[0].Header.Get("Authorization"))
}
