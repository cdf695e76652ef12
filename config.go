package livepeer

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/eth"
)

// Defaults applied by NewGateway to zero Config fields.
const (
	// DefaultOrchestratorTimeout bounds one GetOrchestrator call. go-livepeer's
	// gateway waits 3 s per discovery round; the Python SDK uses 5 s.
	DefaultOrchestratorTimeout = discovery.DefaultTimeout
	// DefaultRequestTimeout bounds one attempt of a control-plane HTTP call
	// (signer, discovery endpoint), as in the Python SDK.
	DefaultRequestTimeout = 5 * time.Second
	// DefaultMaxRetries is how often a control-plane call is retried after a
	// connection error or a 429/502/503/504 answer.
	DefaultMaxRetries = 2
)

// Config configures a Gateway. The zero value of every field means "not
// set" (the default applies). NewGateway copies what it keeps, so a Config
// can be reused or changed afterwards.
//
// Token versus explicit fields: a value present in Token wins; an explicit
// field fills only what the token leaves out (the Python SDK's rule). An
// "orchestrators": [] present in the token shadows Orchestrators, so the
// discovery sources below are used.
//
// Where orchestrators come from, first match wins:
//  1. the token's orchestrators;
//  2. Orchestrators;
//  3. the token's discovery URL, then DiscoveryURL (GET, with the token's
//     discovery_headers or else DiscoveryHeaders);
//  4. the remote signer's /discover-orchestrators (with the signer headers).
//
// With none of these NewGateway fails with a *ConfigError. Without a signer
// the Gateway is off-chain: requests are unsigned and no payments are made,
// which only off-chain orchestrators accept.
type Config struct {
	// Token is a gateway token (see ParseToken). Optional.
	Token string
	// SignerURL is the remote signer base URL (its path is kept:
	// "https://host/api/signer" → "https://host/api/signer/generate-live-payment").
	SignerURL string
	// SignerFallbackURLs are tried in order when the signer in use fails
	// with a transport error or a 5xx. They follow the token's signer when
	// the token has one.
	SignerFallbackURLs []string
	// SignerHeaders are sent with every signer call (e.g. an API key).
	SignerHeaders map[string]string
	// DiscoveryURL is a discovery endpoint returning [{"address": ...}].
	DiscoveryURL string
	// DiscoveryHeaders are sent to the discovery endpoint only.
	DiscoveryHeaders map[string]string
	// Orchestrators lists orchestrator addresses (host:port or https://host:port).
	Orchestrators []string
	// HTTPClient is used (copied) for signer and discovery calls. Default:
	// clients with their own transports.
	HTTPClient *http.Client
	// Logger receives the SDK's logs. Default: silent.
	Logger *slog.Logger
	// OrchestratorTimeout bounds one GetOrchestrator call (default
	// DefaultOrchestratorTimeout). All orchestrators are asked at once, so
	// this is also about the longest discovery takes when some never answer.
	OrchestratorTimeout time.Duration
	// RequestTimeout bounds one attempt of a signer or discovery call
	// (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxRetries is how many times a signer or discovery call is retried
	// (default DefaultMaxRetries; -1 disables retries).
	MaxRetries int
	// MaxPrice, when set, drops orchestrators whose price for the requested
	// capability is above it, in wei per unit (per pixel for LV2V, per
	// second for BYOC). Orchestrators that send no price (off-chain) are
	// kept. The remote signer may enforce its own ceiling as well.
	MaxPrice *big.Rat
	// SigningKey is the Gateway-wide secp256k1 key that signs BYOC job
	// headers (Run, Stream, and Live on byoc/<name>) when a call gives none
	// (WithSigningKey, LiveOptions.SigningKey). When nil, jobs are signed by
	// the remote signer's /sign-byoc-job if it has one, and off-chain by a
	// fresh key per job. With a priced capability the key must be the
	// payer's (the signer's address), since orchestrators credit the sender.
	SigningKey *ecdsa.PrivateKey
}

// settings is a validated Config with the token applied.
type settings struct {
	signerURLs       []string
	signerFields     []string // the Config field each signer URL came from
	signerHeaders    map[string]string
	discoveryURL     string
	discoveryField   string
	discoveryHeaders map[string]string
	orchestrators    []string
	orchField        string
	httpClient       *http.Client
	log              *slog.Logger
	orchTimeout      time.Duration
	requestTimeout   time.Duration
	maxRetries       int // -1: none
	maxPrice         *big.Rat
	signingKey       *ecdsa.PrivateKey
}

// resolve validates cfg, applies the token and defaults.
func resolve(cfg Config) (*settings, error) {
	var tok Token
	if strings.TrimSpace(cfg.Token) != "" {
		var err error
		if tok, err = ParseToken(cfg.Token); err != nil {
			return nil, err
		}
	}
	s := &settings{log: cfg.Logger, httpClient: cfg.HTTPClient}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	// Signer: token first, then the explicit URL; fallbacks after it.
	primary := strings.TrimSpace(cfg.SignerURL)
	if tok.Signer != "" {
		primary = tok.Signer
	}
	if primary != "" {
		s.signerURLs = append(s.signerURLs, primary)
		if tok.Signer != "" {
			s.signerFields = append(s.signerFields, "Token.signer")
		} else {
			s.signerFields = append(s.signerFields, "SignerURL")
		}
	}
	for i, u := range cfg.SignerFallbackURLs {
		u = strings.TrimSpace(u)
		f := fmt.Sprintf("SignerFallbackURLs[%d]", i)
		if u == "" {
			return nil, &ConfigError{Field: f, Reason: "empty URL"}
		}
		s.signerURLs = append(s.signerURLs, u)
		s.signerFields = append(s.signerFields, f)
	}
	if primary == "" && len(s.signerURLs) > 0 {
		return nil, &ConfigError{Field: "SignerURL", Reason: "SignerFallbackURLs set without a SignerURL"}
	}
	s.signerHeaders = cfg.SignerHeaders
	if tok.SignerHeaders != nil {
		s.signerHeaders = tok.SignerHeaders
	} else if err := checkHeaders(cfg.SignerHeaders); err != nil {
		return nil, &ConfigError{Field: "SignerHeaders", Reason: err.Error()}
	}
	s.signerHeaders = copyMap(s.signerHeaders)

	// Orchestrators: the token's list, even empty, shadows the explicit one.
	switch {
	case tok.Orchestrators != nil:
		s.orchestrators, s.orchField = tok.Orchestrators, "Token.orchestrators"
	default:
		s.orchestrators, s.orchField = cfg.Orchestrators, "Orchestrators"
	}
	var orchs []string
	for i, a := range s.orchestrators {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, err := discovery.ParseAddress(a); err != nil {
			return nil, &ConfigError{Field: fmt.Sprintf("%s[%d]", s.orchField, i), Reason: "invalid orchestrator address", Err: err}
		}
		orchs = append(orchs, a)
	}
	s.orchestrators = orchs

	s.discoveryURL, s.discoveryField = strings.TrimSpace(cfg.DiscoveryURL), "DiscoveryURL"
	if tok.Discovery != "" {
		s.discoveryURL, s.discoveryField = tok.Discovery, "Token.discovery"
	}
	s.discoveryHeaders = cfg.DiscoveryHeaders
	if tok.DiscoveryHeaders != nil {
		s.discoveryHeaders = tok.DiscoveryHeaders
	} else if err := checkHeaders(cfg.DiscoveryHeaders); err != nil {
		return nil, &ConfigError{Field: "DiscoveryHeaders", Reason: err.Error()}
	}
	s.discoveryHeaders = copyMap(s.discoveryHeaders)

	if len(s.orchestrators) == 0 && s.discoveryURL == "" && len(s.signerURLs) == 0 {
		return nil, &ConfigError{Field: "Orchestrators", Reason: "no orchestrator source: set Orchestrators, DiscoveryURL, SignerURL or a Token that has one"}
	}

	switch {
	case cfg.OrchestratorTimeout < 0:
		return nil, &ConfigError{Field: "OrchestratorTimeout", Reason: "must not be negative"}
	case cfg.OrchestratorTimeout == 0:
		s.orchTimeout = DefaultOrchestratorTimeout
	default:
		s.orchTimeout = cfg.OrchestratorTimeout
	}
	switch {
	case cfg.RequestTimeout < 0:
		return nil, &ConfigError{Field: "RequestTimeout", Reason: "must not be negative"}
	case cfg.RequestTimeout == 0:
		s.requestTimeout = DefaultRequestTimeout
	default:
		s.requestTimeout = cfg.RequestTimeout
	}
	switch {
	case cfg.MaxRetries < -1:
		return nil, &ConfigError{Field: "MaxRetries", Reason: "must be -1 (no retries) or more"}
	case cfg.MaxRetries == 0:
		s.maxRetries = DefaultMaxRetries
	default:
		s.maxRetries = cfg.MaxRetries
	}
	if cfg.MaxPrice != nil {
		if cfg.MaxPrice.Sign() < 0 {
			return nil, &ConfigError{Field: "MaxPrice", Reason: "must not be negative"}
		}
		s.maxPrice = new(big.Rat).Set(cfg.MaxPrice)
	}
	if k := cfg.SigningKey; k != nil {
		if !eth.IsKey(k) {
			return nil, &ConfigError{Field: "SigningKey", Reason: "must be a secp256k1 private key (eth.GenerateKey, eth.ParseKey, or go-ethereum's crypto.GenerateKey)"}
		}
		s.signingKey = k
	}
	return s, nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
