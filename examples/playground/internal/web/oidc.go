package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig enables sign-in with an OpenID Connect provider (GitHub via an
// OIDC bridge, Google, Auth0, Keycloak, ...).
type OIDCConfig struct {
	Issuer       string // e.g. "https://accounts.google.com"
	ClientID     string
	ClientSecret string
}

type oidcClient struct {
	issuer   string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

const oidcStateCookie = "pg_oidc"

func newOIDC(ctx context.Context, c OIDCConfig, baseURL string) (*oidcClient, error) {
	if c.Issuer == "" || c.ClientID == "" {
		return nil, errors.New("web: OIDC needs an issuer and a client id")
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("web: OIDC discovery at %s: %w", c.Issuer, err)
	}
	return &oidcClient{
		issuer: c.Issuer,
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: baseURL + "/auth/oidc/callback", Scopes: []string{oidc.ScopeOpenID, "email"}},
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
	}, nil
}

// handleOIDCStart redirects to the provider with state, nonce and a PKCE
// verifier bound to a short-lived HttpOnly cookie.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	state, nonce, verifier := randomString(24), randomString(24), oauth2.GenerateVerifier()
	next := safeNext(r.URL.Query().Get("next"))
	val := strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(next))}, ".")
	s.setCookie(w, oidcStateCookie, val, 10*time.Minute)
	u := s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// handleOIDCCallback exchanges the code, verifies the ID token (issuer,
// audience, expiry, nonce), and signs the account in, creating it on the
// free plan the first time.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	parts := strings.Split(cookieValue(r, oidcStateCookie), ".")
	s.setCookie(w, oidcStateCookie, "", -1)
	fail := func(msg string) {
		p := s.newPage(w, r, "Sign in")
		p.Error = msg
		s.render(w, http.StatusUnauthorized, "signin.html", p)
	}
	if len(parts) != 4 || r.URL.Query().Get("state") == "" || r.URL.Query().Get("state") != parts[0] {
		fail("Sign-in expired or was tampered with; try again.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		fail("The identity provider refused the sign-in.")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil || idt.Nonce != parts[1] {
		fail("The identity provider's answer could not be verified.")
		return
	}
	var claims struct {
		Email    string `json:"email"`
		Verified *bool  `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email == "" || (claims.Verified != nil && !*claims.Verified) {
		fail("The identity provider did not share a verified email address.")
		return
	}
	h := sha256.Sum256([]byte(s.oidc.issuer))
	subject := base64.RawURLEncoding.EncodeToString(h[:8]) + "|" + idt.Subject
	u, err := s.store.UpsertOIDCUser(ctx, subject, claims.Email, "free", s.cfg.TrialCapWei)
	if err != nil {
		fail("Could not sign in.")
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		fail("Could not sign in.")
		return
	}
	next := "/"
	if b, err := base64.RawURLEncoding.DecodeString(parts[3]); err == nil {
		next = safeNext(string(b))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
