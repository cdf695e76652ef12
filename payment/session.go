package payment

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Defaults used when Config leaves a field zero.
const (
	DefaultMaxRefreshes   = 3                // 480 refreshes per payment, as go-livepeer's gateway
	DefaultPaymentTimeout = 10 * time.Second // POST /payment, when the Session owns its HTTP client
	// AuthTokenLifetime is how long go-livepeer's auth tokens live (server/rpc.go).
	AuthTokenLifetime = 30 * time.Minute
	// AuthRefreshMargin: the info is refreshed once the auth token is in the
	// last 10 % of its life, as go-livepeer's shouldRefreshSession does.
	AuthRefreshMargin = AuthTokenLifetime / 10
)

// RefreshFunc fetches fresh info from the session's orchestrator (it re-runs
// GetOrchestrator against it). It is called with the Session's lock held,
// so it must not call back into the Session.
type RefreshFunc func(ctx context.Context) (*discovery.Info, error)

// Signer makes tickets: *signer.Client implements it.
type Signer interface {
	// Offchain reports that no remote signer is configured.
	Offchain() bool
	// GenerateLivePayment makes one batch of tickets (signer.Client's errors).
	GenerateLivePayment(ctx context.Context, req *signer.PaymentRequest) (*signer.PaymentResponse, error)
}

// Config describes a payment session with one orchestrator.
type Config struct {
	// Signer makes the tickets; nil or an off-chain signer pays nothing
	// (LV2V still gets seg creds with the orchestrator's auth token).
	Signer Signer
	// Info is the orchestrator's current info (required).
	Info *discovery.Info
	// Refresh re-fetches Info; nil means a refresh request fails the payment.
	Refresh RefreshFunc
	// Type is the signer payment type of an LV2V-style session:
	// signer.TypeLV2V (default), signer.TypeLive or signer.TypeFixed.
	Type string
	// BYOCCapability, when set, makes this a BYOC session for the named
	// capability: see NextBYOC.
	BYOCCapability string
	// ManifestID is the session's manifest id if already known (LV2V: the
	// manifest_id of the start answer; see SetManifestID).
	ManifestID string
	// Capability goes to the signer (seg creds, per-capability price
	// ceiling); for LV2V the stream's "live-video-to-video/<model>".
	Capability *discovery.Capability
	// App is an optional label fixed for the session.
	App string
	// MaxPrice is an optional price ceiling passed to the signer.
	MaxPrice *signer.MaxPrice
	// HTTPClient is used for POST /payment. Default: a client of the
	// Session's own that skips TLS verification (orchestrators use
	// self-signed certificates) with a 10 s timeout.
	HTTPClient *http.Client
	// Logger receives debug/warn logs (default: silent).
	Logger *slog.Logger
	// MaxRefreshes bounds the refreshes per payment (default 3).
	MaxRefreshes int
}

// Session is a payment session with one orchestrator for one stream or
// job. Its methods are safe for concurrent use and serialised: payments
// chain through the signer state, so they never run in parallel.
type Session struct {
	signer      Signer
	refresh     RefreshFunc
	typ         string
	byocCap     string
	caps        *discovery.Capability
	app         string
	maxPrice    *signer.MaxPrice
	hc          *http.Client
	ownHC       bool
	log         *slog.Logger
	maxRefresh  int
	now         func() time.Time
	mu          sync.Mutex
	info        *discovery.Info
	state       json.RawMessage
	manifestID  string
	closed      bool
	refreshes   int // total refreshes done, for tests and logs
	lastPayment time.Time
	last        *Payment // the last payment the signer made
}

// LastPayment returns the last payment this session obtained from the
// signer (sent to the orchestrator by SendLV2V, or handed to the caller by
// Next/NextBYOC), or nil before the first. Use Payment.Tickets to see what it
// committed.
func (s *Session) LastPayment() *Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// NewSession validates cfg and returns a Session. A missing Info, an
// unknown Type or a negative MaxRefreshes gives a *livepeer.ConfigError.
func NewSession(cfg Config) (*Session, error) {
	if cfg.Info == nil {
		return nil, &lperr.ConfigError{Field: "Info", Reason: "orchestrator info is required"}
	}
	typ := cfg.Type
	switch {
	case cfg.BYOCCapability != "":
		typ = signer.TypeUnits
	case typ == "":
		typ = signer.TypeLV2V
	case typ == signer.TypeLV2V || typ == signer.TypeLive || typ == signer.TypeFixed:
	default:
		return nil, &lperr.ConfigError{Field: "Type", Reason: fmt.Sprintf("unknown payment type %q (use lv2v, live or fixed; BYOC sessions set BYOCCapability)", typ)}
	}
	if cfg.MaxRefreshes < 0 {
		return nil, &lperr.ConfigError{Field: "MaxRefreshes", Reason: "must not be negative"}
	}
	s := &Session{
		signer:     cfg.Signer,
		refresh:    cfg.Refresh,
		typ:        typ,
		byocCap:    cfg.BYOCCapability,
		caps:       cfg.Capability,
		app:        cfg.App,
		maxPrice:   cfg.MaxPrice,
		hc:         cfg.HTTPClient,
		log:        cfg.Logger,
		maxRefresh: cfg.MaxRefreshes,
		now:        time.Now,
		info:       cfg.Info,
		manifestID: cfg.ManifestID,
	}
	if s.signer == nil || isNilSigner(s.signer) {
		s.signer = signer.Offchain()
	}
	if s.byocCap != "" {
		s.manifestID = s.byocCap // BYOC balances are per (sender, capability)
	}
	if s.maxRefresh == 0 {
		s.maxRefresh = DefaultMaxRefreshes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // orchestrators use self-signed certificates, as in go-livepeer
		s.hc = &http.Client{Transport: tr, Timeout: DefaultPaymentTimeout}
		s.ownHC = true
	}
	return s, nil
}

// Info returns the orchestrator info the next payment will use.
func (s *Session) Info() *discovery.Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// SetInfo replaces the orchestrator info (for example after the caller
// re-ran GetOrchestrator itself). Info from another orchestrator address
// starts a new signer state.
func (s *Session) SetInfo(info *discovery.Info) {
	if info == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adoptLocked(info)
}

// SetManifestID records the manifest id the orchestrator returned for the
// job (LV2V: after /live-video-to-video); every later payment carries it.
func (s *Session) SetManifestID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifestID = id
}

// ManifestID returns the manifest id payments carry ("" until set).
func (s *Session) ManifestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.manifestID
}

// State returns a copy of the opaque signer state (nil before the first
// payment or off-chain).
func (s *Session) State() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(json.RawMessage(nil), s.state...)
}

// Close releases the Session's idle connections; later payments return
// ErrClosed. It is idempotent and never fails.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ownHC {
		s.hc.CloseIdleConnections()
	}
	return nil
}

// adoptLocked switches to info; another orchestrator address resets the state.
func (s *Session) adoptLocked(info *discovery.Info) {
	old := s.info
	if old != nil && !old.Address.IsZero() && !info.Address.IsZero() && old.Address != info.Address {
		s.log.Warn("orchestrator address changed; starting a new payment state",
			slog.String("old", old.Address.Hex()), slog.String("new", info.Address.Hex()))
		s.state = nil
	}
	s.info = info
}

// needsRefreshLocked reports whether the auth token is in its last 10 %.
func (s *Session) needsRefreshLocked() bool {
	exp := s.info.AuthExpiry
	return !exp.IsZero() && s.now().After(exp.Add(-AuthRefreshMargin))
}

// refreshLocked fetches fresh info through the Refresh callback.
func (s *Session) refreshLocked(ctx context.Context, why string) error {
	if s.refresh == nil {
		return fmt.Errorf("payment: orchestrator info must be refreshed (%s) but the session has no Refresh function: %w", why, lperr.ErrRefreshSession)
	}
	info, err := s.refresh(ctx)
	if err == nil && info == nil {
		err = errors.New("Refresh returned no info")
	}
	if err != nil {
		return fmt.Errorf("payment: refresh orchestrator info (%s): %w: %w", why, lperr.ErrRefreshSession, err)
	}
	s.refreshes++
	s.log.Debug("orchestrator info refreshed", slog.String("reason", why), slog.String("orchestrator", info.String()))
	s.adoptLocked(info)
	return nil
}

// isNilSigner reports a typed nil *signer.Client in the interface.
func isNilSigner(s Signer) bool {
	c, ok := s.(*signer.Client)
	return ok && c == nil
}
