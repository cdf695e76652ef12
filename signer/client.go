package signer

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout      = 5 * time.Second        // per attempt
	DefaultRetries      = 2                      // retries per signer URL after the first attempt
	DefaultRetryWaitMin = 100 * time.Millisecond // first backoff
	DefaultRetryWaitMax = 1 * time.Second        // backoff cap (also caps Retry-After)
)

// maxResponseBody bounds how much of a success answer is read.
const maxResponseBody = 1 << 20

// Client talks to one or more remote signers (failover in order), or to none
// (off-chain mode). It is safe for concurrent use.
type Client struct {
	bases   []*url.URL
	names   []string // redacted bases, parallel to bases
	headers http.Header
	rc      *retryablehttp.Client
	hc      *http.Client
	log     *slog.Logger
	tokens  TokenSource // nil: no bearer token

	preferred atomic.Int32 // index of the signer that answered last
	dyn       dynamicBase  // the token's signer URL, when bases is empty

	sigMu  sync.Mutex
	sigVal *discovery.RequestSignature // cached sign-orchestrator-info answer
}

// Config configures a Client; the zero value is an off-chain Client.
type Config struct {
	// URLs are the remote signer base URLs, tried in order on failure. A URL
	// keeps its path ("https://host/api/signer" →
	// "https://host/api/signer/generate-live-payment"); a missing scheme
	// means https. None gives an off-chain Client.
	URLs []string
	// Headers are sent with every signer call (for example an API key).
	// Their values are never logged. The map is copied.
	Headers http.Header
	// Tokens, when set, supplies a bearer token for every signer call
	// ("Authorization: Bearer <token>", replacing an Authorization in
	// Headers): the Client asks it before each call, so it can replace a
	// token before it expires (Exchange does), and on a 401 answer
	// invalidates the token sent (see Invalidator) and retries the call
	// once with a fresh one. The same token goes to every URL. With no
	// URLs, calls go to the token's SignerURL.
	Tokens TokenSource
	// HTTPClient is copied; its Timeout is replaced by Timeout. Default: a
	// client with its own transport.
	HTTPClient *http.Client
	// Logger receives warnings on failover (default: silent).
	Logger *slog.Logger
	// Timeout bounds one attempt (default DefaultTimeout; negative is an error).
	Timeout time.Duration
	// MaxRetries is how often one signer URL is retried after a connection
	// error or a 429/502/503/504 answer: 0 means DefaultRetries, -1 none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the backoff between retries
	// (defaults DefaultRetryWaitMin, DefaultRetryWaitMax); a Retry-After is
	// honoured up to RetryWaitMax.
	RetryWaitMin, RetryWaitMax time.Duration
}

// New returns a Client for cfg. A bad URL or field returns a
// *livepeer.ConfigError naming it (errors.Is(err, livepeer.ErrInvalidConfig)).
func New(cfg Config) (*Client, error) {
	retries, waitMin, waitMax, timeout := cfg.MaxRetries, cfg.RetryWaitMin, cfg.RetryWaitMax, cfg.Timeout
	switch {
	case retries < -1:
		return nil, &lperr.ConfigError{Field: "MaxRetries", Reason: "must be -1 (no retries) or more"}
	case retries == 0:
		retries = DefaultRetries
	case retries == -1:
		retries = 0
	}
	if waitMin == 0 {
		waitMin = DefaultRetryWaitMin
	}
	if waitMax == 0 {
		waitMax = max(DefaultRetryWaitMax, waitMin)
	}
	if waitMin < 0 || waitMax < waitMin {
		return nil, &lperr.ConfigError{Field: "RetryWaitMin", Reason: fmt.Sprintf("invalid backoff bounds min=%v max=%v", waitMin, waitMax)}
	}
	switch {
	case timeout < 0:
		return nil, &lperr.ConfigError{Field: "Timeout", Reason: "must not be negative"}
	case timeout == 0:
		timeout = DefaultTimeout
	}
	c := &Client{headers: cfg.Headers.Clone(), log: cfg.Logger, tokens: cfg.Tokens}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.headers == nil {
		c.headers = http.Header{}
	}
	for i, raw := range cfg.URLs {
		field := "URLs"
		if len(cfg.URLs) > 1 {
			field = fmt.Sprintf("URLs[%d]", i)
		}
		u, err := parseBase(field, raw)
		if err != nil {
			return nil, err
		}
		c.bases = append(c.bases, u)
		c.names = append(c.names, httpx.Redacted(u))
	}
	if len(c.bases) == 0 && c.tokens == nil {
		return c, nil
	}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		c.hc = &hc
	} else {
		// A transport of our own: retryablehttp closes idle connections of the
		// client it gives up on, which must not touch http.DefaultTransport.
		c.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c.hc.Timeout = timeout
	c.rc = httpx.NewRetryClient(c.hc, c.log, retries, waitMin, waitMax)
	return c, nil
}

// Offchain returns a Client with no remote signer: SignOrchestratorInfo
// returns an empty signature and GenerateLivePayment makes no tickets.
func Offchain() *Client {
	c, _ := New(Config{})
	return c
}

// Offchain reports whether the Client has no remote signer: no URLs and
// no TokenSource.
func (c *Client) Offchain() bool { return c == nil || (len(c.bases) == 0 && c.tokens == nil) }

// URLs returns the configured signer base URLs in failover order
// (credentials redacted); none when the signer URL comes from the token.
func (c *Client) URLs() []string {
	if c == nil {
		return nil
	}
	return append([]string(nil), c.names...)
}

// CloseIdleConnections closes idle keep-alive connections to the signers.
func (c *Client) CloseIdleConnections() {
	if c != nil && c.hc != nil {
		c.hc.CloseIdleConnections()
	}
}
