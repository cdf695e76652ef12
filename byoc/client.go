package byoc

import (
	"context"
	"crypto/ecdsa"
	"log/slog"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Header names of BYOC requests (go-livepeer byoc/types.go).
const (
	HeaderJob            = lphttp.HeaderJob            // base64 JSON job request, signed
	HeaderEthAddress     = lphttp.HeaderEthAddress     // base64 JSON {addr, sig} of the sender
	HeaderCapability     = lphttp.HeaderCapability     // the BYOC capability name
	HeaderPayment        = lphttp.HeaderPayment        // tickets (payment.HeaderPayment)
	HeaderBalance        = lphttp.HeaderBalance        // balance after a plain job / of a stream, wei
	HeaderPaymentBalance = lphttp.HeaderPaymentBalance // balance on a server-sent-events answer, wei
)

// Candidates hands out the orchestrators to try, best first, and records
// why one was not used. *discovery.Selector implements it.
type Candidates interface {
	Next(ctx context.Context) (*discovery.Info, error)
	Reject(info *discovery.Info, err error)
}

// Signer identifies and signs for the payer. *signer.Client implements it.
type Signer interface {
	// Offchain reports that there is no remote signer (nothing is paid).
	Offchain() bool
	// SignOrchestratorInfo gives the payer's address and its signature
	// over the EIP-55 address string (the Livepeer-Eth-Address header).
	SignOrchestratorInfo(ctx context.Context) (*discovery.RequestSignature, error)
	// SignBYOCJob signs a job header with the payer's key (/sign-byoc-job).
	SignBYOCJob(ctx context.Context, job *signer.BYOCJob) (*signer.BYOCSignature, error)
}

// Payments opens a payment session with an orchestrator (the remote
// signer makes the tickets). *livepeer.Gateway implements it.
type Payments interface {
	NewPaymentSession(info *discovery.Info, cfg payment.Config) (*payment.Session, error)
}

// Doer sends one HTTP request to an orchestrator. *http.Client implements
// it; orchestrators use self-signed certificates.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Config configures a Client.
type Config struct {
	// Signer is the payer's remote signer (required; signer.Offchain() when
	// there is none).
	Signer Signer
	// Payments opens payment sessions for priced capabilities (required
	// when a capability is priced; nil fails those jobs with
	// livepeer.ErrPaymentFailed).
	Payments Payments
	// SigningKey signs job headers when a Job or StreamSpec gives none. nil:
	// the remote signer's /sign-byoc-job on-chain, a fresh key per job
	// off-chain. With a priced capability the key must be the payer's
	// (the signer's address): orchestrators credit the sender.
	SigningKey *ecdsa.PrivateKey
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
}

// Client runs BYOC jobs and streams. It holds no connections: each call
// uses the Doer it is given. Safe for concurrent use.
type Client struct {
	signer   Signer
	payments Payments
	key      *ecdsa.PrivateKey
	log      *slog.Logger
}

// New returns a Client. A missing Signer or a key that is not secp256k1
// gives a *livepeer.ConfigError.
func New(cfg Config) (*Client, error) {
	if cfg.Signer == nil {
		return nil, &lperr.ConfigError{Field: "Signer", Reason: "required (signer.Offchain() when there is no remote signer)"}
	}
	if cfg.SigningKey != nil && !eth.IsKey(cfg.SigningKey) {
		return nil, &lperr.ConfigError{Field: "SigningKey", Reason: "must be a secp256k1 private key (eth.GenerateKey, eth.ParseKey)"}
	}
	c := &Client{signer: cfg.Signer, payments: cfg.Payments, key: cfg.SigningKey, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
