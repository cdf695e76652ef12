package signer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// API-key exchange defaults. Source: the Python SDK's auth_exchange.py
// (livepeer-python-gateway, exchange_api_key_for_signer: POST
// {billing_url}/api/pymthouse/keys/exchange with {"apiKey", "clientId"?,
// "scope": "sign:job"}, 15 s timeout) and auth_resolve.py
// (SignerAuthRefreshContext.refresh_skew_seconds = 60).
const (
	// ExchangePath is the exchange endpoint under ExchangeConfig.BillingURL.
	ExchangePath = "/api/pymthouse/keys/exchange"
	// DefaultExchangeScope is the scope asked for: every remote-signer
	// endpoint (pymthouse's "sign:job").
	DefaultExchangeScope = "sign:job"
	// DefaultExchangeTimeout bounds one exchange attempt.
	DefaultExchangeTimeout = 15 * time.Second
	// DefaultRefreshAhead is how long before its expiry a token is
	// replaced; a token that lives less than three times as long is
	// replaced after two thirds of its life instead.
	DefaultRefreshAhead = time.Minute
)

// failureHold is how long a failed exchange's error is returned to callers
// that have no valid token, before the next exchange is tried: an
// unreachable billing service is not asked again on every signer call.
const failureHold = time.Second

// ExchangeConfig configures NewExchange. BillingURL and APIKey are required.
type ExchangeConfig struct {
	// BillingURL is the service that exchanges the key (pymthouse, or a
	// dashboard in front of it). Its path is kept and ExchangePath appended
	// (a URL that already ends in ExchangePath is used as it is); a
	// missing scheme means https.
	BillingURL string
	// APIKey is the key to exchange ("pmth_..."). It is sent in the
	// request body only and never logged or put in an error.
	APIKey string
	// ClientID is sent as "clientId" when set (the billing service checks
	// it against its configured application).
	ClientID string
	// Scope is the scope asked for (default DefaultExchangeScope).
	Scope string
	// HTTPClient is copied; its Timeout is replaced by Timeout. Default: a
	// client with its own transport.
	HTTPClient *http.Client
	// Timeout bounds one attempt (default DefaultExchangeTimeout).
	Timeout time.Duration
	// MaxRetries is how often an attempt is retried after a connection
	// error or a 429/502/503/504 answer: 0 means DefaultRetries, -1 none.
	MaxRetries int
	// RefreshAhead is how long before expiry a token is replaced (default
	// DefaultRefreshAhead, capped at a third of the token's lifetime). A
	// random part of up to half of it more is added to each refresh time,
	// so that many gateways started together do not refresh together.
	RefreshAhead time.Duration
	// Logger receives a debug line per exchange and a warning when a
	// refresh fails while the current token is still valid (default: silent).
	Logger *slog.Logger
}

// Exchange is a TokenSource that exchanges an API key for short-lived
// signer tokens at a billing service, as the Python SDK's
// exchange_api_key_for_signer does, and replaces each token before it
// expires. It is safe for concurrent use: concurrent callers share one
// exchange in flight. It implements Invalidator: a token the signer
// refused is exchanged again on the next call.
//
// A refresh that fails while the current token is still valid returns the
// current token (and tries again halfway to its expiry); once the token
// has expired or was refused, the failure is returned: an *ExchangeError,
// also to the calls of the next second, which do not ask again.
type Exchange struct {
	url   *url.URL
	name  string // url, redacted
	body  []byte
	rc    *retryablehttp.Client
	hc    *http.Client
	ahead time.Duration
	log   *slog.Logger
	now   func() time.Time
	randN func(n int64) int64 // jitter, [0, n)

	mu        sync.Mutex
	cur       Token
	have      bool // cur may be used (not refused)
	refreshAt time.Time
	flight    *flight
	failErr   error     // the last failed exchange's error
	failUntil time.Time // failErr is returned until then (when no token is valid)
}

// flight is one exchange in progress; waiters read its result after done.
type flight struct {
	done      chan struct{}
	tok       Token
	err       error
	cancelled bool // the exchange failed because its caller's ctx ended
}

// NewExchange validates cfg and returns an Exchange. Nothing is contacted
// until the first Token call. A missing or invalid field gives a
// *livepeer.ConfigError naming it.
func NewExchange(cfg ExchangeConfig) (*Exchange, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, &lperr.ConfigError{Field: "APIKey", Reason: "an API key is required"}
	}
	if strings.TrimSpace(cfg.BillingURL) == "" {
		return nil, &lperr.ConfigError{Field: "BillingURL", Reason: "a billing URL is required to exchange an API key"}
	}
	u, err := httpx.ParseURL("BillingURL", cfg.BillingURL)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), ExchangePath) + ExchangePath
	u.RawPath, u.RawQuery = "", ""
	retries := cfg.MaxRetries
	switch {
	case retries < -1:
		return nil, &lperr.ConfigError{Field: "MaxRetries", Reason: "must be -1 (no retries) or more"}
	case retries == 0:
		retries = DefaultRetries
	case retries == -1:
		retries = 0
	}
	timeout, ahead := cfg.Timeout, cfg.RefreshAhead
	if timeout < 0 {
		return nil, &lperr.ConfigError{Field: "Timeout", Reason: "must not be negative"}
	}
	if timeout == 0 {
		timeout = DefaultExchangeTimeout
	}
	if ahead < 0 {
		return nil, &lperr.ConfigError{Field: "RefreshAhead", Reason: "must not be negative"}
	}
	if ahead == 0 {
		ahead = DefaultRefreshAhead
	}
	scope := strings.TrimSpace(cfg.Scope)
	if scope == "" {
		scope = DefaultExchangeScope
	}
	body, err := json.Marshal(struct {
		APIKey   string `json:"apiKey"`
		ClientID string `json:"clientId,omitempty"`
		Scope    string `json:"scope"`
	}{key, strings.TrimSpace(cfg.ClientID), scope})
	if err != nil {
		return nil, err
	}
	x := &Exchange{url: u, name: httpx.Redacted(u), body: body, ahead: ahead, log: cfg.Logger,
		now: time.Now, randN: rand.Int64N}
	if x.log == nil {
		x.log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		x.hc = &hc
	} else {
		x.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	x.hc.Timeout = timeout
	x.rc = httpx.NewRetryClient(x.hc, x.log, retries, DefaultRetryWaitMin, DefaultRetryWaitMax)
	return x, nil
}

// URL returns the exchange endpoint (credentials redacted).
func (x *Exchange) URL() string { return x.name }

// CloseIdleConnections closes idle keep-alive connections to the billing service.
func (x *Exchange) CloseIdleConnections() { x.hc.CloseIdleConnections() }

// Token returns the current token, exchanging the API key first when
// there is none yet, the current one is due for refresh, or the signer
// refused it. It returns when ctx ends (ctx.Err(), wrapped when the
// exchange was under way). Errors are *ExchangeError.
func (x *Exchange) Token(ctx context.Context) (Token, error) {
	for {
		x.mu.Lock()
		now := x.now()
		if x.have && now.Before(x.refreshAt) {
			t := x.cur
			x.mu.Unlock()
			return t, nil
		}
		if x.failErr != nil && now.Before(x.failUntil) && !x.usableLocked(now) {
			err := x.failErr
			x.mu.Unlock()
			return Token{}, err
		}
		if f := x.flight; f != nil {
			x.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return Token{}, ctx.Err()
			}
			if f.err == nil {
				return f.tok, nil
			}
			if f.cancelled && ctx.Err() == nil {
				continue // its caller gave up, not us: exchange ourselves
			}
			return x.fallback(f.err)
		}
		f := &flight{done: make(chan struct{})}
		x.flight = f
		x.mu.Unlock()
		return x.lead(ctx, f)
	}
}

// lead runs the exchange of flight f and publishes its result.
func (x *Exchange) lead(ctx context.Context, f *flight) (Token, error) {
	start := x.now()
	tok, err := x.exchange(ctx, start)
	x.mu.Lock()
	now := x.now()
	f.tok, f.err = tok, err
	f.cancelled = err != nil && ctx.Err() != nil
	switch {
	case err == nil:
		x.cur, x.have = tok, true
		x.refreshAt = x.refreshTime(start, tok.Expiry)
		x.failErr = nil
	case f.cancelled:
	case x.usableLocked(now):
		x.refreshAt = now.Add(x.cur.Expiry.Sub(now) / 2)
		x.log.LogAttrs(ctx, slog.LevelWarn, "signer token refresh failed; the current token is still valid",
			slog.String("url", x.name), slog.Time("expires", x.cur.Expiry), slog.String("error", err.Error()))
	default:
		x.failErr, x.failUntil = err, now.Add(failureHold)
	}
	x.flight = nil
	close(f.done)
	x.mu.Unlock()
	if err == nil {
		return tok, nil
	}
	if f.cancelled {
		return Token{}, err
	}
	return x.fallback(err)
}

// fallback returns the current token when a refresh failed but the token
// is still valid, else err.
func (x *Exchange) fallback(err error) (Token, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.usableLocked(x.now()) {
		return x.cur, nil
	}
	return Token{}, err
}

func (x *Exchange) usableLocked(now time.Time) bool {
	return x.have && (x.cur.Expiry.IsZero() || now.Before(x.cur.Expiry))
}

// refreshTime is when a token obtained at start and expiring at expiry is
// replaced: ahead of expiry by min(RefreshAhead, lifetime/3) plus a random
// part of up to half of that. A token without expiry is kept until refused.
func (x *Exchange) refreshTime(start, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return start.AddDate(100, 0, 0)
	}
	life := expiry.Sub(start)
	margin := min(x.ahead, life/3)
	if margin <= 0 {
		return expiry
	}
	return expiry.Add(-margin - time.Duration(x.randN(int64(margin/2)+1)))
}

// Invalidate drops rejected if it is still the current token, so that the
// next Token call exchanges the key again.
func (x *Exchange) Invalidate(rejected Token) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.have && x.cur.AccessToken == rejected.AccessToken {
		x.have = false
	}
}

// exchange does one exchange request (with retries) and decodes the answer.
// The token's expiry counts from start, the time before the request.
func (x *Exchange) exchange(ctx context.Context, start time.Time) (Token, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, x.url.String(), x.body)
	if err != nil {
		return Token{}, &ExchangeError{URL: x.name, Kind: lperr.ErrUnauthorized, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := x.rc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return Token{}, &ExchangeError{URL: x.name, Kind: lperr.ErrSignerUnavailable, Err: err}
	}
	defer resp.Body.Close()
	tok, err := decodeExchange(x.name, resp, start)
	if err != nil {
		return Token{}, err
	}
	x.log.LogAttrs(ctx, slog.LevelDebug, "signer token exchanged", slog.String("url", x.name),
		slog.Time("expires", tok.Expiry), slog.String("signer", tok.SignerURL))
	return tok, nil
}
