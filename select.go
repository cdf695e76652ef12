package livepeer

import (
	"context"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// Orchestrators returns the orchestrators that can serve capability
// ("live-video-to-video/streamdiffusion", "byoc/text-reversal", ...; see
// discovery.ParseCapability; "" means no capability filter), ranked as
// Select hands them out: cheapest for the capability first, then fastest to
// answer GetOrchestrator (see discovery.Rank), orchestrators demoted for
// recent failures last. The answers come from the Gateway's orchestrator
// pool (see Pool and discovery.Pool): the first call for a capability asks
// every orchestrator at once, each for at most Config.OrchestratorTimeout,
// and waits for all of them; later calls answer from the pool, which keeps
// the answers fresh in the background.
//
// Errors: a *CapabilityError for a bad capability; the source's error when
// the orchestrator list cannot be fetched (errors.Is(err,
// ErrSignerUnavailable) or ErrDiscoveryUnavailable); the signer's error when
// it cannot sign the request; a *NoOrchestratorError listing every
// rejection when none qualifies; ctx.Err() wrapped when ctx ends; ErrClosed
// after Close.
func (g *Gateway) Orchestrators(ctx context.Context, capability string) ([]*discovery.Info, error) {
	want, err := parseWant(capability)
	if err != nil {
		return nil, err
	}
	if g.closed.Load() {
		return nil, ErrClosed
	}
	ranked, _, err := g.pool.Orchestrators(ctx, want)
	return ranked, err
}

// Select returns the failover cursor the verbs use for capability: Next
// hands out candidates best first (as Orchestrators ranks them), Reject
// records why one failed and tells the pool (a failed orchestrator is
// demoted for the Gateway's later calls, see discovery.Pool.Report), and
// once all are used Next returns a *NoOrchestratorError listing the
// discovery rejections and the later ones.
//
// On the first call for a capability it returns as soon as enough
// orchestrators answered (Config.Pool's Quorum, or its Grace after the
// first answer), not when the slowest does; the others join the pool as
// they answer, and Next waits for them rather than fail while answers are
// pending. Later calls return at once. Select returns the same errors as
// Orchestrators (and no Selector) when no candidate qualifies.
func (g *Gateway) Select(ctx context.Context, capability string) (*discovery.Selector, error) {
	want, err := parseWant(capability)
	if err != nil {
		return nil, err
	}
	if g.closed.Load() {
		return nil, ErrClosed
	}
	return g.pool.Select(ctx, want)
}

// parseWant parses a capability; "" is no filter (nil).
func parseWant(capability string) (*discovery.Capability, error) {
	if strings.TrimSpace(capability) == "" {
		return nil, nil
	}
	c, err := discovery.ParseCapability(capability)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
