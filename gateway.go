package livepeer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/livepeer/livepeer-go-gateway/byoc"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
	"github.com/livepeer/livepeer-go-gateway/lv2v"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Gateway is a configured connection to the Livepeer network: where to find
// orchestrators, which remote signer pays them, and how to talk to both.
// Build it once with NewGateway and share it: it is immutable and safe for
// concurrent use. Close releases its connections.
type Gateway struct {
	set    *settings
	signer *signer.Client
	tokens *signer.Exchange // built from SignerAPIKey, or nil
	disc   *discovery.Client
	source discovery.Source
	pool   *discovery.Pool
	jobs   *lphttp.Transports // BYOC job requests: one kept-alive transport per orchestrator
	byoc   *byoc.Client
	lv2v   *lv2v.Client
	// runners reserves and calls live runners; runnerTr reaches the
	// orchestrators' GET /discovery (closed with the Gateway).
	runners  *liverunner.Client
	runnerTr *http.Transport
	payHC    *http.Client // payments' HTTP client when orchestrator certificates are pinned

	closeOnce sync.Once
	closed    atomic.Bool
}

// NewGateway validates cfg, applies its token and defaults, and returns a
// Gateway. Nothing is contacted yet. An invalid field gives a *ConfigError
// naming it (errors.Is(err, ErrInvalidConfig)); a malformed token gives a
// *TokenError (errors.Is(err, ErrInvalidToken)).
func NewGateway(cfg Config) (*Gateway, error) {
	s, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	g := &Gateway{set: s}
	hdr := http.Header{}
	for k, v := range s.signerHeaders {
		hdr.Set(k, v)
	}
	tokens := s.signerTokens
	if s.apiKey != "" {
		if g.tokens, err = signer.NewExchange(signer.ExchangeConfig{BillingURL: s.billingURL, APIKey: s.apiKey,
			HTTPClient: s.httpClient, MaxRetries: s.maxRetries, Logger: s.log}); err != nil {
			return nil, relabel(err, map[string]string{"APIKey": "SignerAPIKey"})
		}
		tokens = g.tokens
	}
	if g.signer, err = signer.New(signer.Config{URLs: s.signerURLs, Headers: hdr, Tokens: tokens, HTTPClient: s.httpClient,
		Logger: s.log, Timeout: s.requestTimeout, MaxRetries: s.maxRetries}); err != nil {
		return nil, signerConfigError(err, s.signerFields)
	}
	switch {
	case len(s.orchestrators) > 0:
		g.source = discovery.List(s.orchestrators)
	case s.discoveryURL != "":
		g.source, err = discovery.NewEndpoint(s.discoveryURL, discovery.EndpointConfig{
			Headers:    s.discoveryHeaders,
			HTTPClient: s.httpClient,
			Timeout:    s.requestTimeout,
			MaxRetries: s.maxRetries,
			Logger:     s.log,
		})
		if err != nil {
			return nil, relabel(err, map[string]string{"URL": s.discoveryField})
		}
	default:
		g.source = signer.NewSource(g.signer)
	}
	if g.disc, err = discovery.NewClient(discovery.ClientConfig{Signer: g.signer, Timeout: s.orchTimeout, Logger: s.log, Pins: s.pins}); err != nil {
		return nil, err
	}
	g.jobs = lphttp.NewTransports()
	g.jobs.Configure = func(tr *http.Transport) { orchtls.Apply(tr, s.pins) }
	if g.pool, err = discovery.NewPool(discovery.PoolConfig{Source: g.source, Client: g.disc, MaxPrice: s.maxPrice,
		Logger: s.log, Options: s.pool, OnUnreachable: g.evictJobs}); err != nil {
		return nil, err
	}
	if g.byoc, err = byoc.New(byoc.Config{Signer: g.signer, Payments: g, SigningKey: s.signingKey, Logger: s.log}); err != nil {
		return nil, err
	}
	if g.lv2v, err = lv2v.New(lv2v.Config{Payments: g, Logger: s.log}); err != nil {
		return nil, err
	}
	if g.runners, err = liverunner.New(liverunner.Config{Signer: g.signer, RequestTimeout: s.requestTimeout, Logger: s.log, Pins: s.pins}); err != nil {
		return nil, err
	}
	g.runnerTr = g.orchTransport()
	if s.pins != nil {
		g.payHC = &http.Client{Transport: g.orchTransport(), Timeout: payment.DefaultPaymentTimeout}
	}
	return g, nil
}

// Signer returns the remote-signer client (an off-chain client when no
// signer is configured). It is safe for concurrent use.
func (g *Gateway) Signer() *signer.Client { return g.signer }

// Source returns where the Gateway finds orchestrators.
func (g *Gateway) Source() discovery.Source { return g.source }

// Pool returns the Gateway's orchestrator pool (what it knows of each
// orchestrator per capability: Entries), which Orchestrators and Select
// read. It is closed by Close.
func (g *Gateway) Pool() *discovery.Pool { return g.pool }

// Close stops the pool's background work and releases the Gateway's
// connections. Calls in flight fail, later calls return ErrClosed. It is
// idempotent and returns nil. Sessions and streams already returned keep
// running until closed.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.closed.Store(true)
		_ = g.pool.Close()
		_ = g.disc.Close()
		g.jobs.Close()
		g.signer.CloseIdleConnections()
		g.runnerTr.CloseIdleConnections()
		if g.tokens != nil {
			g.tokens.CloseIdleConnections()
		}
		if g.payHC != nil {
			g.payHC.CloseIdleConnections()
		}
	})
	return nil
}

// evictJobs drops the job connections to an orchestrator the pool found
// unreachable.
func (g *Gateway) evictJobs(_, transcoder string) {
	if u, err := url.Parse(transcoder); err == nil && u.Host != "" {
		g.jobs.Evict(u.Host)
	}
}

// Refresh asks info's orchestrator again for its OrchestratorInfo (same
// address, same requested capability), for example when the remote signer
// asks for a fresh one (its auth token nears expiry), and records the
// answer in the pool (see discovery.Pool.Refresh). Errors are those of
// discovery.Client.GetOrchestrator.
func (g *Gateway) Refresh(ctx context.Context, info *discovery.Info) (*discovery.Info, error) {
	if info == nil {
		return nil, fmt.Errorf("livepeer: refresh: nil orchestrator info")
	}
	if g.closed.Load() {
		return nil, fmt.Errorf("livepeer: refresh: %w", ErrClosed)
	}
	return g.pool.Refresh(ctx, info)
}

// NewPaymentSession starts a payment session with info's orchestrator (one
// from Orchestrators or Select). cfg.Info is set to info; the fields cfg
// leaves zero are filled from the Gateway: Signer (the Gateway's), Refresh
// (GetOrchestrator again against info.Addr with the same capability, see
// Refresh), Logger, HTTPClient (one that checks Config.OrchestratorPins,
// when set), and, from info.Requested, Capability (non-BYOC) or
// BYOCCapability (BYOC). info's ticket params are claimed for this session
// (discovery.Pool.Claim): the pool hands them to no other, since two
// sessions paying with the same params would repeat ticket nonces, which
// the orchestrator refuses; do not start two sessions on one info. No I/O
// happens here. Errors are payment.NewSession's (*ConfigError), or
// ErrClosed after Close. The Session must be closed. It makes the Gateway
// the Payments of package byoc and lv2v.
func (g *Gateway) NewPaymentSession(info *discovery.Info, cfg payment.Config) (*payment.Session, error) {
	if info == nil {
		return nil, &ConfigError{Field: "Info", Reason: "orchestrator info is required"}
	}
	if g.closed.Load() {
		return nil, fmt.Errorf("livepeer: payment session: %w", ErrClosed)
	}
	cfg.Info = info
	g.pool.Claim(info)
	if cfg.Signer == nil {
		cfg.Signer = g.signer
	}
	if cfg.HTTPClient == nil && g.payHC != nil {
		cfg.HTTPClient = g.payHC
	}
	if cfg.Refresh == nil {
		cfg.Refresh = func(ctx context.Context) (*discovery.Info, error) { return g.Refresh(ctx, info) }
	}
	if cfg.Logger == nil {
		cfg.Logger = g.set.log
	}
	if req := info.Requested; req != nil {
		switch {
		case req.IsBYOC():
			if cfg.BYOCCapability == "" {
				cfg.BYOCCapability = req.Model
			}
		case cfg.Capability == nil:
			c := *req
			cfg.Capability = &c
		}
	}
	return payment.NewSession(cfg)
}

// relabel renames the Field of a *ConfigError from a sub-package to the
// Config field it came from.
func relabel(err error, fields map[string]string) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		if f, ok := fields[ce.Field]; ok {
			c := *ce
			c.Field = f
			return &c
		}
	}
	return err
}

// signerConfigError names the Config field of a signer URL error
// ("URLs[i]" or "URLs" from signer.New).
func signerConfigError(err error, fields []string) error {
	m := map[string]string{}
	for i, f := range fields {
		m[fmt.Sprintf("URLs[%d]", i)] = f
	}
	if len(fields) == 1 {
		m["URLs"] = fields[0]
	}
	return relabel(err, m)
}
