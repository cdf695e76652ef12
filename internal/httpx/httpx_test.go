package httpx

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

func TestParseURL(t *testing.T) {
	u, err := ParseURL("F", "  signer.example.com/api/signer?x=1#frag ")
	require.NoError(t, err)
	assert.Equal(t, "https://signer.example.com/api/signer?x=1", u.String())
	for _, bad := range []string{"", "   ", "ftp://h/x", "http://", "http://:80", "%zz"} {
		_, err := ParseURL("F", bad)
		var ce *lperr.ConfigError
		require.ErrorAs(t, err, &ce, bad)
		assert.Equal(t, "F", ce.Field)
	}
}

func TestRedacted(t *testing.T) {
	u, err := ParseURL("F", "https://user:secret@h/p?token=abc")
	require.NoError(t, err)
	assert.NotContains(t, Redacted(u), "secret")
	assert.NotContains(t, Redacted(u), "abc")
}

// Outages are retried and the last answer is kept; answers are not retried.
func TestRetryClientRetriesOutagesOnly(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flaky":
			if hits.Add(1) < 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = io.WriteString(w, "ok")
		case "/down":
			hits.Add(1)
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "still down")
		default:
			hits.Add(1)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	rc := NewRetryClient(srv.Client(), slog.New(slog.DiscardHandler), 2, time.Millisecond, 2*time.Millisecond)

	resp, err := rc.Get(srv.URL + "/flaky")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.EqualValues(t, 3, hits.Swap(0))

	resp, err = rc.Get(srv.URL + "/down")
	require.NoError(t, err, "the last answer comes back, not a giving-up error")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 502, resp.StatusCode)
	assert.Equal(t, "still down", string(body))
	assert.EqualValues(t, 3, hits.Swap(0))

	resp, err = rc.Get(srv.URL + "/bad")
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, hits.Load(), "a 400 is an answer")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	retry, err := RetryPolicy(ctx, nil, errors.New("x"))
	assert.False(t, retry)
	assert.ErrorIs(t, err, context.Canceled)
}
