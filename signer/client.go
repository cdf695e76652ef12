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

	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Defaults used when no option overrides them.
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

	preferred atomic.Int32 // index of the signer that answered last

	sigMu  sync.Mutex
	sigVal *OrchInfoSig // cached sign-orchestrator-info answer
}

// Option configures a Client.
type Option func(*config)

type config struct {
	headers    http.Header
	httpClient *http.Client
	logger     *slog.Logger
	retries    int
	waitMin    time.Duration
	waitMax    time.Duration
	timeout    time.Duration
	err        error
}

// WithHeaders sets headers sent with every signer call (for example an API
// key). Their values are never logged. The map is copied.
func WithHeaders(h http.Header) Option {
	return func(c *config) { c.headers = h.Clone() }
}

// WithHeaderMap is WithHeaders for a plain map, as tokens carry signer_headers.
func WithHeaderMap(m map[string]string) Option {
	return func(c *config) {
		h := make(http.Header, len(m))
		for k, v := range m {
			h.Set(k, v)
		}
		c.headers = h
	}
}

// WithHTTPClient sets the HTTP client used for signer calls. Its Timeout is
// replaced by the per-attempt timeout (the client value is copied, not changed).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) { c.httpClient = hc }
}

// WithLogger sets the logger (default: silent). Header values are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithRetry sets how many times one signer URL is retried after a connection
// error or a 429/502/503/504 answer (0 disables retries), and the backoff
// bounds. Retry-After is honoured up to maxWait.
func WithRetry(max int, minWait, maxWait time.Duration) Option {
	return func(c *config) {
		if max < 0 || minWait < 0 || maxWait < minWait {
			c.err = &lperr.ConfigError{Field: "SignerRetry", Reason: fmt.Sprintf("invalid retry policy max=%d min=%v max=%v", max, minWait, maxWait)}
			return
		}
		c.retries, c.waitMin, c.waitMax = max, minWait, maxWait
	}
}

// WithTimeout sets the per-attempt timeout (default 5 s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.err = &lperr.ConfigError{Field: "SignerTimeout", Reason: "must be positive"}
			return
		}
		c.timeout = d
	}
}

// New returns a Client for the given signer URLs, tried in order on failure.
// URLs keep their path ("https://host/api/signer" →
// "https://host/api/signer/generate-live-payment"); a missing scheme means
// https. No URLs gives an off-chain Client. A bad URL or option returns a
// *ConfigError (errors.Is(err, ErrInvalidConfig)).
func New(urls []string, opts ...Option) (*Client, error) {
	cfg := config{retries: DefaultRetries, waitMin: DefaultRetryWaitMin, waitMax: DefaultRetryWaitMax, timeout: DefaultTimeout}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	c := &Client{headers: cfg.headers, log: cfg.logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.headers == nil {
		c.headers = http.Header{}
	}
	for i, raw := range urls {
		field := "SignerURL"
		if len(urls) > 1 {
			field = fmt.Sprintf("SignerURL[%d]", i)
		}
		u, err := parseBase(field, raw)
		if err != nil {
			return nil, err
		}
		c.bases = append(c.bases, u)
		c.names = append(c.names, httpx.Redacted(u))
	}
	if len(c.bases) == 0 {
		return c, nil
	}
	if cfg.httpClient != nil {
		hc := *cfg.httpClient
		c.hc = &hc
	} else {
		// A transport of our own: retryablehttp closes idle connections of the
		// client it gives up on, which must not touch http.DefaultTransport.
		c.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c.hc.Timeout = cfg.timeout
	c.rc = httpx.NewRetryClient(c.hc, c.log, cfg.retries, cfg.waitMin, cfg.waitMax)
	return c, nil
}

// Offchain returns a Client with no remote signer: SignOrchestratorInfo
// returns an empty signature and GenerateLivePayment makes no tickets.
func Offchain() *Client {
	c, _ := New(nil)
	return c
}

// Offchain reports whether the Client has no remote signer.
func (c *Client) Offchain() bool { return c == nil || len(c.bases) == 0 }

// URLs returns the signer base URLs in failover order (credentials redacted).
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
