package livepeer

import (
	"crypto/ecdsa"
	"log/slog"
	"math/big"
	"net/http"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
	"github.com/livepeer/livepeer-go-gateway/signer"
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
//  4. the remote signer's /discover-orchestrators (with the signer headers
//     and token).
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
	// SignerAPIKey is an API key exchanged at BillingURL for short-lived
	// signer tokens (POST {BillingURL}/api/pymthouse/keys/exchange with
	// {"apiKey", "scope": "sign:job"}, as the Python SDK's
	// exchange_api_key_for_signer), sent as "Authorization: Bearer" and
	// replaced before they expire; a token the signer refuses (401) is
	// replaced and the call retried once. When neither the token nor
	// SignerURL names a signer, the exchange's signer URL is used. The key
	// is never logged. See signer.Exchange.
	SignerAPIKey string
	// BillingURL is the service that exchanges SignerAPIKey (required
	// with it; its path is kept).
	BillingURL string
	// SignerTokenSource supplies the signer's bearer token from a source
	// of your own (another exchange, an OAuth2 client, a secrets store),
	// asked before every signer call; with a signer.Invalidator, a token
	// the signer refuses is replaced and the call retried once. Not with
	// SignerAPIKey. SignerAPIKey and SignerTokenSource set the
	// Authorization header: a signer header of that name is an error.
	SignerTokenSource signer.TokenSource
	// DiscoveryURL is a discovery endpoint returning [{"address": ...}].
	DiscoveryURL string
	// DiscoveryHeaders are sent to the discovery endpoint only.
	DiscoveryHeaders map[string]string
	// Orchestrators lists orchestrator addresses (host:port or https://host:port).
	Orchestrators []string
	// OrchestratorPins, when set, pins each orchestrator's TLS key on
	// first use, per "host:port", for every connection to orchestrators
	// (GetOrchestrator, jobs, payments, trickle channels): a key that
	// differs from its pin fails the connection with an error matching
	// ErrCertificateMismatch (a *CertificateMismatchError naming the
	// address). Use orchtls.NewMemoryStore, or orchtls.OpenFile to keep
	// pins across runs. nil (the default): orchestrator certificates are
	// not checked, as go-livepeer's gateway does not check them
	// (self-signed, a new key at every orchestrator start; see package
	// orchtls).
	OrchestratorPins orchtls.Store
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
	// Pool tunes the Gateway's orchestrator pool: how long the first call
	// for a capability waits for answers, how often answers are refreshed,
	// how failed orchestrators are backed off (see discovery.PoolOptions
	// and discovery.Pool). The zero value gives the defaults;
	// Pool.Disabled asks every orchestrator on every call instead.
	Pool discovery.PoolOptions
	// SigningKey is the Gateway-wide secp256k1 key that signs BYOC job
	// headers (Run, Stream, and Live on byoc/<name>) when a call gives none
	// (WithSigningKey). When nil, jobs are signed by the remote signer's
	// /sign-byoc-job if it has one, and off-chain by a fresh key per job.
	// With a priced capability the key must be the payer's (the signer's
	// address), since orchestrators credit the sender. Make one with
	// eth.GenerateKey or eth.ParseKey.
	SigningKey *ecdsa.PrivateKey
}
