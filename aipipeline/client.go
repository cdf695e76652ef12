package aipipeline

import (
	"context"
	"log/slog"
	"math/big"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Candidates hands out the orchestrators to try, best first, and records
// why one was not used. *discovery.Selector implements it.
type Candidates interface {
	Next(ctx context.Context) (*discovery.Info, error)
	Reject(info *discovery.Info, err error)
}

// Signer makes the payments. *signer.Client implements it.
type Signer interface {
	// Offchain reports that there is no remote signer: requests then carry
	// seg creds with the orchestrator's auth token and no tickets
	// (signer.OffchainPayment).
	Offchain() bool
	// GenerateLivePayment is the remote signer's POST /generate-live-payment.
	GenerateLivePayment(ctx context.Context, req *signer.PaymentRequest) (*signer.PaymentResponse, error)
}

// Orchestrators asks one orchestrator for its current OrchestratorInfo
// (GetOrchestrator) for a capability. *discovery.Client implements it.
type Orchestrators interface {
	GetOrchestrator(ctx context.Context, addr string, want *discovery.Capability) (*discovery.Info, error)
}

// Config configures a Client.
type Config struct {
	// Signer pays (required; signer.Offchain() when there is none).
	Signer Signer
	// Orchestrators fetches the fresh OrchestratorInfo every payment is
	// made on (required).
	Orchestrators Orchestrators
	// MaxPrice is the highest price accepted, in wei per unit of the
	// pipeline (pixel, millisecond of audio, token...); nil: no ceiling.
	// It is checked again on the fresh info before each payment.
	MaxPrice *big.Rat
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
}

// Client runs pipeline requests on a list of candidate orchestrators,
// paying each attempt through a Signer and failing over while nothing was
// charged (see Client.Run). It holds no connections. Safe for concurrent
// use.
type Client struct {
	signer   Signer
	orchs    Orchestrators
	maxPrice *big.Rat
	log      *slog.Logger
}

// New returns a Client. A missing Signer or Orchestrators gives a
// *livepeer.ConfigError.
func New(cfg Config) (*Client, error) {
	if cfg.Signer == nil {
		return nil, &lperr.ConfigError{Field: "Signer", Reason: "required (signer.Offchain() when there is no remote signer)"}
	}
	if cfg.Orchestrators == nil {
		return nil, &lperr.ConfigError{Field: "Orchestrators", Reason: "required (a *discovery.Client)"}
	}
	if cfg.MaxPrice != nil && cfg.MaxPrice.Sign() < 0 {
		return nil, &lperr.ConfigError{Field: "MaxPrice", Reason: "must not be negative"}
	}
	c := &Client{signer: cfg.Signer, orchs: cfg.Orchestrators, maxPrice: cfg.MaxPrice, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Discovery returns c as discovery names it: the capability id and the
// model, the per-capability model constraint of GetOrchestrator requests
// (go-livepeer's newAICapabilities, server/ai_session.go:288-306 at master
// 176aa415ccea4f9861e0dd44e981cda17fb36f52).
func (c Capability) Discovery() discovery.Capability {
	return discovery.Capability{ID: discovery.CapabilityID(c.ID()), Model: c.Model}
}

// WarmFirst returns infos with the orchestrators that report c's model
// warm first, keeping the order within the warm and the cold ones, as
// go-livepeer's AI session selector serves its warm pool before its cold
// one (server/ai_session.go:360-367, 399-426). The slice is new; the
// infos are shared.
func WarmFirst(infos []*discovery.Info, c Capability) []*discovery.Info {
	want := c.Discovery()
	out := make([]*discovery.Info, 0, len(infos))
	var cold []*discovery.Info
	for _, in := range infos {
		if m, ok := in.Model(want); ok && m.Warm {
			out = append(out, in)
		} else {
			cold = append(cold, in)
		}
	}
	return append(out, cold...)
}
