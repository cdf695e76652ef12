package livepeer

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// settings is a validated Config with the token applied.
type settings struct {
	signerURLs       []string
	signerFields     []string // the Config field each signer URL came from
	signerHeaders    map[string]string
	signerTokens     signer.TokenSource // SignerTokenSource
	apiKey           string             // SignerAPIKey, trimmed
	billingURL       string
	discoveryURL     string
	discoveryField   string
	discoveryHeaders map[string]string
	orchestrators    []string
	pins             orchtls.Store // nil: orchestrator certificates not checked
	httpClient       *http.Client
	log              *slog.Logger
	orchTimeout      time.Duration
	requestTimeout   time.Duration
	maxRetries       int // -1: none
	maxPrice         *big.Rat
	signingKey       *ecdsa.PrivateKey
	pool             discovery.PoolOptions
}

// resolve validates cfg, applies the token (its values win over the
// explicit fields, which fill only what it leaves out) and the defaults.
func resolve(cfg Config) (*settings, error) {
	var tok Token
	if strings.TrimSpace(cfg.Token) != "" {
		var err error
		if tok, err = ParseToken(cfg.Token); err != nil {
			return nil, err
		}
	}
	s := &settings{log: cfg.Logger, httpClient: cfg.HTTPClient, pool: cfg.Pool, pins: cfg.OrchestratorPins}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, step := range []func(Config, Token) error{s.resolveSigner, s.resolveOrchestrators, s.resolveDiscovery, s.resolveLimits} {
		if err := step(cfg, tok); err != nil {
			return nil, err
		}
	}
	if len(s.orchestrators) == 0 && s.discoveryURL == "" && len(s.signerURLs) == 0 && s.signerTokens == nil && s.apiKey == "" {
		return nil, &ConfigError{Field: "Orchestrators", Reason: "no orchestrator source: set Orchestrators, DiscoveryURL, SignerURL or a Token that has one"}
	}
	return s, nil
}

// resolveSigner: the token's signer first, else SignerURL; the fallbacks
// after it; the token's signer headers, else SignerHeaders.
func (s *settings) resolveSigner(cfg Config, tok Token) error {
	primary, field := strings.TrimSpace(cfg.SignerURL), "SignerURL"
	if tok.Signer != "" {
		primary, field = tok.Signer, "Token.signer"
	}
	if primary != "" {
		s.signerURLs, s.signerFields = append(s.signerURLs, primary), append(s.signerFields, field)
	}
	for i, u := range cfg.SignerFallbackURLs {
		u = strings.TrimSpace(u)
		f := fmt.Sprintf("SignerFallbackURLs[%d]", i)
		if u == "" {
			return &ConfigError{Field: f, Reason: "empty URL"}
		}
		s.signerURLs, s.signerFields = append(s.signerURLs, u), append(s.signerFields, f)
	}
	if primary == "" && len(s.signerURLs) > 0 {
		return &ConfigError{Field: "SignerURL", Reason: "SignerFallbackURLs set without a SignerURL"}
	}
	hdr, err := pickHeaders(tok.SignerHeaders, cfg.SignerHeaders, "SignerHeaders")
	s.signerHeaders = hdr
	if err != nil {
		return err
	}
	return s.resolveSignerAuth(cfg, tok)
}

// resolveSignerAuth: SignerAPIKey with BillingURL, or SignerTokenSource,
// and no Authorization signer header beside them.
func (s *settings) resolveSignerAuth(cfg Config, tok Token) error {
	s.apiKey, s.billingURL = strings.TrimSpace(cfg.SignerAPIKey), strings.TrimSpace(cfg.BillingURL)
	s.signerTokens = cfg.SignerTokenSource
	switch {
	case s.apiKey != "" && s.signerTokens != nil:
		return &ConfigError{Field: "SignerTokenSource", Reason: "set SignerAPIKey or SignerTokenSource, not both"}
	case s.apiKey != "" && s.billingURL == "":
		return &ConfigError{Field: "BillingURL", Reason: "SignerAPIKey needs the BillingURL that exchanges it"}
	case s.apiKey == "" && s.billingURL != "":
		return &ConfigError{Field: "SignerAPIKey", Reason: "BillingURL is set without a SignerAPIKey to exchange"}
	case s.apiKey == "" && s.signerTokens == nil:
		return nil
	}
	for k := range s.signerHeaders {
		if strings.EqualFold(k, "Authorization") {
			field := "SignerHeaders"
			if tok.SignerHeaders != nil {
				field = "Token.signer_headers"
			}
			return &ConfigError{Field: field, Reason: "an Authorization header conflicts with SignerAPIKey / SignerTokenSource, which set it"}
		}
	}
	return nil
}

// resolveOrchestrators: the token's list, even empty, shadows the explicit one.
func (s *settings) resolveOrchestrators(cfg Config, tok Token) error {
	list, field := cfg.Orchestrators, "Orchestrators"
	if tok.Orchestrators != nil {
		list, field = tok.Orchestrators, "Token.orchestrators"
	}
	for i, a := range list {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, err := discovery.ParseAddress(a); err != nil {
			return &ConfigError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: "invalid orchestrator address", Err: err}
		}
		s.orchestrators = append(s.orchestrators, a)
	}
	return nil
}

// resolveDiscovery: the token's discovery URL and headers, else the
// explicit ones.
func (s *settings) resolveDiscovery(cfg Config, tok Token) error {
	s.discoveryURL, s.discoveryField = strings.TrimSpace(cfg.DiscoveryURL), "DiscoveryURL"
	if tok.Discovery != "" {
		s.discoveryURL, s.discoveryField = tok.Discovery, "Token.discovery"
	}
	hdr, err := pickHeaders(tok.DiscoveryHeaders, cfg.DiscoveryHeaders, "DiscoveryHeaders")
	s.discoveryHeaders = hdr
	return err
}

// resolveLimits: timeouts, retries, price ceiling and signing key, with
// their defaults.
func (s *settings) resolveLimits(cfg Config, _ Token) error {
	var err error
	if s.orchTimeout, err = duration("OrchestratorTimeout", cfg.OrchestratorTimeout, DefaultOrchestratorTimeout); err != nil {
		return err
	}
	if s.requestTimeout, err = duration("RequestTimeout", cfg.RequestTimeout, DefaultRequestTimeout); err != nil {
		return err
	}
	switch {
	case cfg.MaxRetries < -1:
		return &ConfigError{Field: "MaxRetries", Reason: "must be -1 (no retries) or more"}
	case cfg.MaxRetries == 0:
		s.maxRetries = DefaultMaxRetries
	default:
		s.maxRetries = cfg.MaxRetries
	}
	if cfg.MaxPrice != nil {
		if cfg.MaxPrice.Sign() < 0 {
			return &ConfigError{Field: "MaxPrice", Reason: "must not be negative"}
		}
		s.maxPrice = new(big.Rat).Set(cfg.MaxPrice)
	}
	if k := cfg.SigningKey; k != nil {
		if !eth.IsKey(k) {
			return &ConfigError{Field: "SigningKey", Reason: "must be a secp256k1 private key (eth.GenerateKey, eth.ParseKey, or go-ethereum's crypto.GenerateKey)"}
		}
		s.signingKey = k
	}
	return nil
}

// duration checks a non-negative duration field and applies its default.
func duration(field string, d, def time.Duration) (time.Duration, error) {
	switch {
	case d < 0:
		return 0, &ConfigError{Field: field, Reason: "must not be negative"}
	case d == 0:
		return def, nil
	}
	return d, nil
}

// pickHeaders returns a copy of the token's headers when it has them (the
// token parser checked them), else of the explicit ones, checked.
func pickHeaders(fromToken, explicit map[string]string, field string) (map[string]string, error) {
	if fromToken != nil {
		return maps.Clone(fromToken), nil
	}
	if err := checkHeaders(explicit); err != nil {
		return nil, &ConfigError{Field: field, Reason: err.Error()}
	}
	return maps.Clone(explicit), nil
}

// checkHeaders rejects header names that are not HTTP tokens and values
// net/http would refuse at request time (httpguts, as net/http checks them).
func checkHeaders(m map[string]string) error {
	for k, v := range m {
		if k == "" {
			return fmt.Errorf("empty header name")
		}
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("invalid header name %q", k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return fmt.Errorf("invalid character in the value of header %q", k)
		}
	}
	return nil
}
