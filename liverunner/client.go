package liverunner

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Defaults of a Client.
const (
	// DefaultPaymentInterval is how often a session pays: below
	// go-livepeer's -livePaymentInterval (5 s), as the Python SDK's 3 s, so
	// credit always leads the orchestrator's debits.
	DefaultPaymentInterval = 3 * time.Second
	// DefaultRequestTimeout bounds one control request (discovery,
	// reservation, payment, stop) when Config.RequestTimeout is zero.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultStopTimeout bounds the stop request Close sends.
	DefaultStopTimeout = 5 * time.Second
	// DefaultMaxFailures ends a session after this many payments in a row
	// the orchestrator could not be reached for (transport errors, 5xx).
	DefaultMaxFailures = 5
	// maxChallenges bounds the 402 rounds of one reservation or request.
	maxChallenges = 3
	// maxAnswer bounds a reservation, challenge or payment answer read.
	maxAnswer = 1 << 20
)

// Signer identifies the payer and makes its tickets. *signer.Client
// implements it; signer.Offchain() pays nothing (off-chain orchestrators).
type Signer interface {
	// Offchain reports that there is no remote signer.
	Offchain() bool
	// SignOrchestratorInfo gives the payer's address (sent as
	// Livepeer-Payer-Address, so the orchestrator's 402 challenge carries
	// ticket parameters for it).
	SignOrchestratorInfo(ctx context.Context) (*discovery.RequestSignature, error)
	// GenerateLivePayment makes one batch of tickets.
	GenerateLivePayment(ctx context.Context, req *signer.PaymentRequest) (*signer.PaymentResponse, error)
}

// Doer sends one HTTP request. *http.Client implements it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Config configures a Client.
type Config struct {
	// Signer pays (required; signer.Offchain() when there is none).
	Signer Signer
	// RequestTimeout bounds each discovery, reservation, payment and stop
	// request (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
	// Pins, when set, pins each orchestrator's TLS key on first use per
	// "host:port" (package orchtls) on every connection the Client makes
	// itself: reservations, a session's or single-shot runner's requests,
	// payments, stops, Scope starts. A key other than the pinned one fails
	// the connection with an *orchtls.MismatchError (errors.Is
	// livepeer.ErrCertificateMismatch). nil: certificates are not checked,
	// as go-livepeer's gateway does not check them. Discovery goes through
	// the Doer of the Source, which the caller pins.
	Pins orchtls.Store
}

// Client discovers live runners and reserves, pays for and calls them.
// It holds no connections of its own: each Session owns its transport,
// and the other calls take a Doer. Safe for concurrent use.
type Client struct {
	signer  Signer
	timeout time.Duration
	log     *slog.Logger
	pins    orchtls.Store

	mu    sync.Mutex
	payer *eth.Address // cached payer address
}

// New returns a Client. A missing Signer gives a *livepeer.ConfigError.
func New(cfg Config) (*Client, error) {
	if cfg.Signer == nil {
		return nil, &lperr.ConfigError{Field: "Signer", Reason: "required (signer.Offchain() when there is no remote signer)"}
	}
	if cfg.RequestTimeout < 0 {
		return nil, &lperr.ConfigError{Field: "RequestTimeout", Reason: "must not be negative"}
	}
	c := &Client{signer: cfg.Signer, timeout: cfg.RequestTimeout, log: cfg.Logger, pins: cfg.Pins}
	if c.timeout == 0 {
		c.timeout = DefaultRequestTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// onchain reports whether the Client can pay.
func (c *Client) onchain() bool { return !c.signer.Offchain() }

// payerAddress returns the payer's address ("" off-chain), asking the
// signer once.
func (c *Client) payerAddress(ctx context.Context) (string, error) {
	if !c.onchain() {
		return "", nil
	}
	c.mu.Lock()
	p := c.payer
	c.mu.Unlock()
	if p != nil {
		return p.Hex(), nil
	}
	sig, err := c.signer.SignOrchestratorInfo(ctx)
	if err != nil {
		return "", err
	}
	a := sig.Address
	c.mu.Lock()
	c.payer = &a
	c.mu.Unlock()
	return a.Hex(), nil
}
