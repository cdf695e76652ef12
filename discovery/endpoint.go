package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Endpoint defaults.
const (
	DefaultEndpointTimeout = 5 * time.Second // per attempt
	DefaultEndpointRetries = 2
	maxEndpointBody        = 4 << 20
)

// EndpointConfig configures an Endpoint. The zero value is valid.
type EndpointConfig struct {
	// Headers are sent with every request (for example an API key); the map
	// is copied and the values are never logged.
	Headers map[string]string
	// HTTPClient is copied; its Timeout is replaced by Timeout. Default: a
	// client with its own transport.
	HTTPClient *http.Client
	// Timeout bounds one attempt (default DefaultEndpointTimeout; negative is an error).
	Timeout time.Duration
	// MaxRetries is how many times a connection error or a 429/502/503/504
	// answer is retried: 0 means DefaultEndpointRetries, -1 disables retries.
	MaxRetries int
	// Logger receives retry logs (default: silent).
	Logger *slog.Logger
}

// Endpoint is a discovery endpoint: GET returns a JSON list of objects with
// an "address" field, the shape of go-livepeer's /discover-orchestrators. It
// is safe for concurrent use.
type Endpoint struct {
	u       *url.URL
	name    string
	headers http.Header
	rc      *retryablehttp.Client
}

// NewEndpoint returns a Source for the discovery endpoint at rawURL. A URL
// without a scheme gets https://; only http and https are accepted; the path
// and query are kept. A bad URL or option gives a *livepeer.ConfigError
// naming the field ("URL", "Timeout", "MaxRetries"; errors.Is(err,
// livepeer.ErrInvalidConfig)).
func NewEndpoint(rawURL string, opts EndpointConfig) (*Endpoint, error) {
	u, err := httpx.ParseURL("URL", rawURL)
	if err != nil {
		return nil, err
	}
	if opts.Timeout < 0 {
		return nil, &lperr.ConfigError{Field: "Timeout", Reason: "must not be negative"}
	}
	if opts.MaxRetries < -1 {
		return nil, &lperr.ConfigError{Field: "MaxRetries", Reason: "must be -1 (no retries) or more"}
	}
	e := &Endpoint{u: u, headers: http.Header{}}
	for k, v := range opts.Headers {
		e.headers.Set(k, v)
	}
	e.name = httpx.Redacted(u)

	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultEndpointTimeout
	}
	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		hc.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	hc.Timeout = timeout
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retries := opts.MaxRetries
	switch retries {
	case 0:
		retries = DefaultEndpointRetries
	case -1:
		retries = 0
	}
	rc := httpx.NewRetryClient(&hc, log, retries, 100*time.Millisecond, time.Second)
	e.rc = rc
	return e, nil
}

// String returns the endpoint URL without credentials or query.
func (e *Endpoint) String() string { return e.name }

// Orchestrators GETs the endpoint, adding one caps=pipeline/model query
// parameter for want (none without a model; the existing query is kept, "/"
// is left unescaped as go-livepeer's gateway sends it); an entry listing
// want only through a live runner is left out (see RunnerServes). Errors: an
// *EndpointError wrapping the transport error or a *livepeer.APIError for a non-2xx
// answer (errors.Is(err, ErrDiscoveryUnavailable) for transport errors and
// 5xx), a *DecodeError for a body that is not a JSON list, or ctx.Err().
func (e *Endpoint) Orchestrators(ctx context.Context, want *Capability) ([]string, error) {
	u := *e.u
	var keys []string
	if want != nil {
		if keys = DiscoveryKeys(*want); len(keys) > 0 {
			q := u.RawQuery
			for _, k := range keys {
				if q != "" {
					q += "&"
				}
				q += "caps=" + strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")
			}
			u.RawQuery = q
		}
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &EndpointError{URL: e.name, Err: err}
	}
	for k, vs := range e.headers {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := e.rc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &EndpointError{URL: e.name, Err: ctx.Err()}
		}
		return nil, &EndpointError{URL: e.name, Err: err, Kind: ErrDiscoveryUnavailable}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var kind error
		switch {
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			kind = ErrDiscoveryUnavailable
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			kind = lperr.ErrUnauthorized
		}
		apiErr := lperr.ReadAPIError("discovery", resp, kind)
		apiErr.URL = e.name
		return nil, &EndpointError{URL: e.name, Err: apiErr, Kind: kind}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEndpointBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &EndpointError{URL: e.name, Err: ctx.Err()}
		}
		return nil, &EndpointError{URL: e.name, Err: err, Kind: ErrDiscoveryUnavailable}
	}
	if len(body) > maxEndpointBody {
		return nil, &DecodeError{URL: e.name, Reason: "response larger than 4 MiB"}
	}
	addrs, err := decodeAddressesFor(body, keys) // runner_apps.go
	if err != nil {
		de := err.(*DecodeError)
		de.URL = e.name
		return nil, de
	}
	return addrs, nil
}

// DecodeAddresses parses a discovery answer: a JSON list whose elements
// that are objects with a non-empty string "address" each give that address
// (trimmed); other elements are skipped and the order is kept, as the
// Python SDK does. A body that is not a JSON list gives a *DecodeError.
func DecodeAddresses(body []byte) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, &DecodeError{Reason: "not a JSON list", Body: truncBody(body), Err: err}
	}
	if items == nil {
		return nil, &DecodeError{Reason: "not a JSON list (null)", Body: truncBody(body)}
	}
	addrs := make([]string, 0, len(items))
	for _, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) == 0 || it[0] != '{' {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(it, &obj) != nil {
			continue
		}
		var a string
		if json.Unmarshal(obj["address"], &a) != nil {
			continue
		}
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

func truncBody(b []byte) []byte {
	if len(b) > lperr.MaxErrorBody {
		b = b[:lperr.MaxErrorBody]
	}
	return append([]byte(nil), b...)
}
