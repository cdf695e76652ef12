// Package web is the playground's HTTP server: pages (catalog, workflow
// card, sign-in, keys), the JSON API the page uses to run a workflow, the
// WHIP/WHEP media endpoints, and the hosted signer routes at the root.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/signerproxy"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config configures New.
type Config struct {
	// Store is the database (required).
	Store *store.Store
	// BaseURL is the public URL of the server ("http://127.0.0.1:8080"),
	// the signer URL in snippets (required).
	BaseURL string
	// Secret keys CSRF tokens, run tokens and the signer state MAC
	// (required, ≥ 32 bytes; keep it stable across restarts).
	Secret []byte
	// UpstreamSigner is the real remote signer's base URL (required);
	// UpstreamHeaders its credentials; UpstreamDiscovery its discovery URL
	// (default: the signer's /discover-orchestrators).
	UpstreamSigner    string
	UpstreamHeaders   map[string]string
	UpstreamDiscovery string
	// Workflows served (default workflow.Default()).
	Workflows *workflow.Registry
	// TrialCapWei is each new account's free-plan budget in wei.
	TrialCapWei int64
	// BcryptCost for passwords (default bcrypt.DefaultCost).
	BcryptCost int
	// SignInLimit is the number of sign-in attempts per minute for one
	// email from one client address (default 10); a client address gets
	// three times as many over all emails.
	SignInLimit int
	// OIDC enables "Sign in with <provider>" when set.
	OIDC *OIDCConfig
	// Runner runs workflows (nil: runs are refused with an error state).
	Runner Runner
	// Simulated says the upstream is the in-process network on this
	// machine (every page then says so in a banner); FFmpegMissing that its
	// pipelines cannot run (no ffmpeg in PATH).
	Simulated, FFmpegMissing bool
	// RateHint is the streaming cost in wei per second assumed for budget
	// estimates before any payment was seen (nil: no estimate until then).
	RateHint *big.Rat
	// Now is the hosted signer's clock (default time.Now).
	Now func() time.Time
	// Logger; nil discards.
	Logger *slog.Logger
}

// Server is the playground HTTP handler. Safe for concurrent use; Close
// stops the runs it started.
type Server struct {
	cfg        Config
	store      *store.Store
	secret     []byte
	secure     bool
	bcryptCost int
	log        *slog.Logger
	tmpl       *template.Template
	mux        *http.ServeMux
	handler    http.Handler
	proxy      *signerproxy.Proxy
	signInIP   *limiter
	signInPair *limiter // per (client address, email)
	oidc       *oidcClient
	decoyHash  []byte // compared against when an email has no account

	mu        sync.Mutex
	runTokens map[string]runToken
	runs      map[string]*run
	closed    bool
}

// New builds the server; it fails naming the missing or invalid setting.
func New(ctx context.Context, cfg Config) (*Server, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("web: Store is required")
	case cfg.BaseURL == "":
		return nil, errors.New("web: BaseURL is required")
	case len(cfg.Secret) < 32:
		return nil, errors.New("web: Secret must be at least 32 bytes")
	case cfg.UpstreamSigner == "":
		return nil, errors.New("web: UpstreamSigner is required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Workflows == nil {
		cfg.Workflows = workflow.Default()
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.SignInLimit <= 0 {
		cfg.SignInLimit = 10
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, secret: cfg.Secret, secure: strings.HasPrefix(cfg.BaseURL, "https://"),
		bcryptCost: cfg.BcryptCost, log: cfg.Logger,
		signInIP: newLimiter(cfg.SignInLimit*3, time.Minute), signInPair: newLimiter(cfg.SignInLimit, time.Minute),
		runTokens: map[string]runToken{}, runs: map[string]*run{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	decoy, err := bcrypt.GenerateFromPassword([]byte(randomString(24)), cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	s.decoyHash = decoy
	tmpl, err := template.New("").Funcs(templateFuncs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s.tmpl = tmpl
	s.proxy, err = signerproxy.New(signerproxy.Config{
		Upstream: cfg.UpstreamSigner, UpstreamHeaders: cfg.UpstreamHeaders, DiscoveryUpstream: cfg.UpstreamDiscovery,
		Store: cfg.Store, Secret: cfg.Secret, Auth: s.authenticate, KeysURL: cfg.BaseURL + "/keys", Logger: s.log, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	if cfg.OIDC != nil {
		if s.oidc, err = newOIDC(ctx, *cfg.OIDC, cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// ServeHTTP serves the playground.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Proxy returns the hosted signer.
func (s *Server) Proxy() *signerproxy.Proxy { return s.proxy }

// Close stops every run and waits for them; idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	runs := make([]*run, 0, len(s.runs))
	for _, r := range s.runs {
		runs = append(runs, r)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.stop()
	}
	return nil
}

func (s *Server) routes() {
	mux := http.NewServeMux()
	s.proxy.Register(mux)
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /signin", s.handleSignInPage)
	mux.HandleFunc("GET /signup", s.handleSignUpPage)
	mux.HandleFunc("POST /signin", s.requireCSRF(s.handleSignIn))
	mux.HandleFunc("POST /signup", s.requireCSRF(s.handleSignUp))
	mux.HandleFunc("POST /signout", s.requireCSRF(s.handleSignOut))
	mux.HandleFunc("GET /auth/oidc/start", s.handleOIDCStart)
	mux.HandleFunc("GET /auth/oidc/callback", s.handleOIDCCallback)
	mux.HandleFunc("GET /keys", s.handleKeys)
	mux.HandleFunc("POST /keys", s.requireCSRF(s.handleCreateKey))
	mux.HandleFunc("POST /keys/{id}/revoke", s.requireCSRF(s.handleRevokeKey))
	mux.HandleFunc("GET /models/{owner}/{name}", s.handleCard)
	mux.HandleFunc("GET /api/me", s.handleMe)
	mux.HandleFunc("POST /api/runs", s.requireCSRF(s.handleStartRun))
	mux.HandleFunc("GET /api/runs", s.handleListRuns)
	mux.HandleFunc("POST /api/snippets", s.handleSnippets)
	mux.HandleFunc("POST /api/keys", s.requireCSRF(s.handleCreateKeyAPI))
	mux.HandleFunc("POST /api/runs/{id}/whip", s.requireCSRF(s.handleWHIP))
	mux.HandleFunc("POST /api/runs/{id}/whep", s.requireCSRF(s.handleWHEP))
	mux.HandleFunc("POST /api/runs/{id}/params", s.requireCSRF(s.handleParams))
	mux.HandleFunc("GET /api/runs/{id}", s.handleRunStatus)
	mux.HandleFunc("DELETE /api/runs/{id}", s.requireCSRF(s.handleStopRun))
	s.mux = mux
	s.handler = securityHeaders(s.secure, s.withUser(mux))
}

// contentSecurityPolicy allows the page's own scripts, styles, images and
// API calls only: no inline script or style (the page keeps its data in
// non-executed application/json script elements and sets sizes from
// script), no framing, no plugins; camera and WebRTC media come as
// MediaStreams, which need no source.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets conservative browser headers on every answer, and
// HSTS when the server is served over https (its base URL).
func securityHeaders(secure bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}
