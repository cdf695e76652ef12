// Package httpx holds the control-plane HTTP plumbing shared by the signer
// and discovery clients: URL normalisation and a go-retryablehttp client
// that retries only outages (never answers) and keeps the last response so
// callers can build an *lperr.APIError from it.
//
// Streaming uploads (trickle) never go through here: retryablehttp buffers
// request bodies.
package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ParseURL validates a control-plane URL (a signer or discovery endpoint):
// surrounding space is trimmed, a missing scheme means https, only http and
// https are accepted, a host is required; path and query are kept, the
// fragment is dropped. Failures are *lperr.ConfigError naming field.
func ParseURL(field, raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, &lperr.ConfigError{Field: field, Reason: "empty URL"}
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, &lperr.ConfigError{Field: field, Reason: "not a URL", Err: err}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &lperr.ConfigError{Field: field, Reason: fmt.Sprintf("scheme %q not supported (use http or https)", u.Scheme)}
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, &lperr.ConfigError{Field: field, Reason: "missing host"}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// Redacted is u as shown in errors and logs: no credentials, no query.
func Redacted(u *url.URL) string {
	v := *u
	v.RawQuery = ""
	return v.Redacted()
}

// RetryPolicy retries connection errors and 429/502/503/504 only: other
// statuses are answers, not outages. It never retries once ctx is done.
func RetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// NewRetryClient returns a retryablehttp client over hc with RetryPolicy,
// exponential backoff between waitMin and waitMax (a Retry-After is honoured
// up to waitMax), log as its logger, and an error handler that returns the
// last response (status and body intact) instead of a "giving up" error.
func NewRetryClient(hc *http.Client, log *slog.Logger, retries int, waitMin, waitMax time.Duration) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = log
	rc.RetryMax = retries
	rc.RetryWaitMin = waitMin
	rc.RetryWaitMax = waitMax
	rc.CheckRetry = RetryPolicy
	rc.Backoff = func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), hi)
	}
	rc.ErrorHandler = func(resp *http.Response, err error, _ int) (*http.Response, error) {
		if err != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, err
		}
		return resp, nil
	}
	return rc
}
