package livepeertest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// DefaultAPIKey is the API key the network's exchange accepts when
// SignerAuthConfig.APIKey is empty.
const DefaultAPIKey = "pmth_livepeertest"

// ExchangePath is the API-key exchange route on Network.BillingURL (the
// Python SDK's exchange_api_key_for_signer posts there).
const ExchangePath = "/api/pymthouse/keys/exchange"

// SignerAuthConfig makes the network's signer demand short-lived bearer
// tokens, as a pymthouse-hosted signer does: tokens are issued by an
// API-key exchange at Network.BillingURL (POST ExchangePath with
// {"apiKey", "clientId"?, "scope"}), and a signer call without a token,
// with an unknown one or with an expired one is answered 401.
type SignerAuthConfig struct {
	// APIKey is the key the exchange accepts; "" means DefaultAPIKey.
	APIKey string
	// TokenLifetime is how long an issued token is accepted, in whole
	// seconds (answered as "expires_in"); 0 means 5 minutes.
	TokenLifetime time.Duration
}

// tokenIssuer issues and checks signer tokens; safe for concurrent use.
type tokenIssuer struct {
	apiKey    string
	lifetime  time.Duration
	signerURL func() string

	mu        sync.Mutex
	tokens    map[string]time.Time // token → expiry
	exchanges int
	refused   int // exchange requests refused
}

func newTokenIssuer(cfg SignerAuthConfig, signerURL func() string) (*tokenIssuer, error) {
	if cfg.TokenLifetime < 0 || (cfg.TokenLifetime > 0 && cfg.TokenLifetime%time.Second != 0) {
		return nil, fmt.Errorf("livepeertest: SignerAuthConfig.TokenLifetime must be a positive whole number of seconds: %w", lperr.ErrInvalidConfig)
	}
	ti := &tokenIssuer{apiKey: cfg.APIKey, lifetime: cfg.TokenLifetime, signerURL: signerURL, tokens: map[string]time.Time{}}
	if ti.apiKey == "" {
		ti.apiKey = DefaultAPIKey
	}
	if ti.lifetime == 0 {
		ti.lifetime = 5 * time.Minute
	}
	return ti, nil
}

// valid reports whether an Authorization header carries a live token.
func (ti *tokenIssuer) valid(authorization string) bool {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return false
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	exp, ok := ti.tokens[tok]
	return ok && time.Now().Before(exp)
}

// ServeHTTP answers the exchange: pymthouse's answer shape (builder SDK
// normalizeDeviceExchangeResponse) on success, OAuth-style
// {"error","error_description"} on failure.
func (ti *tokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		APIKey   string `json:"apiKey"`
		ClientID string `json:"clientId"`
		Scope    string `json:"scope"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if json.Unmarshal(body, &req) != nil {
		ti.refuse(w, http.StatusBadRequest, "invalid_request", "Request body must be a JSON object")
		return
	}
	if strings.TrimSpace(req.APIKey) == "" || req.APIKey != ti.apiKey {
		ti.refuse(w, http.StatusUnauthorized, "invalid_client", "invalid api key")
		return
	}
	if req.Scope != "" && req.Scope != "sign:job" {
		ti.refuse(w, http.StatusBadRequest, "invalid_scope", "unsupported scope")
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "lpt_" + hex.EncodeToString(b)
	now := time.Now()
	secs := int(ti.lifetime / time.Second)
	ti.mu.Lock()
	ti.exchanges++
	for t, exp := range ti.tokens {
		if !now.Before(exp) {
			delete(ti.tokens, t)
		}
	}
	ti.tokens[tok] = now.Add(ti.lifetime)
	ti.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": secs, "scope": "sign:job",
		"token":     map[string]any{"accessToken": tok, "access_token": tok, "expiresIn": secs, "expires_in": secs, "scope": "sign:job"},
		"signerUrl": ti.signerURL(),
	})
}

func (ti *tokenIssuer) refuse(w http.ResponseWriter, status int, code, msg string) {
	ti.mu.Lock()
	ti.refused++
	ti.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": msg})
}

func (ti *tokenIssuer) counts() (exchanges, refused int) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.exchanges, ti.refused
}
