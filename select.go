package livepeer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// Orchestrators discovers the orchestrators that can serve capability
// ("live-video-to-video/streamdiffusion", "byoc/text-reversal", ...; see
// discovery.ParseCapability; "" means no capability filter) and returns them
// ranked: cheapest for the capability first, then fastest to answer
// GetOrchestrator (see discovery.Rank). All orchestrators are asked at once,
// each for at most Config.OrchestratorTimeout.
//
// Errors: a *CapabilityError for a bad capability; the source's error when
// the orchestrator list cannot be fetched (errors.Is(err,
// ErrSignerUnavailable) or ErrDiscoveryUnavailable); the signer's error when
// it cannot sign the request; a *NoOrchestratorError listing every
// rejection when none qualifies; ctx.Err() wrapped when ctx ends; ErrClosed
// after Close.
func (g *Gateway) Orchestrators(ctx context.Context, capability string) ([]*discovery.Info, error) {
	ranked, rejections, label, err := g.discover(ctx, capability)
	if err != nil {
		return nil, err
	}
	if len(ranked) == 0 {
		return nil, noneQualified(label, rejections)
	}
	return ranked, nil
}

// Select is Orchestrators wrapped in a failover cursor for the verbs:
// Next hands out candidates in rank order, Reject records why one failed,
// and once all are used Next returns a *NoOrchestratorError listing the
// discovery rejections and the later ones. Select returns the same errors
// as Orchestrators (and no Selector) when no candidate qualifies.
func (g *Gateway) Select(ctx context.Context, capability string) (*discovery.Selector, error) {
	ranked, rejections, label, err := g.discover(ctx, capability)
	if err != nil {
		return nil, err
	}
	if len(ranked) == 0 {
		return nil, noneQualified(label, rejections)
	}
	return discovery.NewSelector(label, ranked, rejections), nil
}

func (g *Gateway) discover(ctx context.Context, capability string) (ranked []*discovery.Info, rejections []Rejection, label string, err error) {
	var want *discovery.Capability
	if strings.TrimSpace(capability) != "" {
		c, err := discovery.ParseCapability(capability)
		if err != nil {
			return nil, nil, "", err
		}
		want, label = &c, c.String()
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, label, err
	}
	if g.closed.Load() {
		return nil, nil, label, ErrClosed
	}
	addrs, err := g.source.Orchestrators(ctx, want)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, label, fmt.Errorf("livepeer: discover orchestrators: %w", ctx.Err())
		}
		return nil, nil, label, fmt.Errorf("livepeer: discover orchestrators from %s: %w", g.source, err)
	}
	if len(addrs) == 0 {
		return nil, nil, label, &NoOrchestratorError{Capability: label, Reason: g.source.String() + " returned no orchestrators"}
	}
	infos, rejections, err := g.disc.Query(ctx, addrs, want)
	if err != nil {
		return nil, nil, label, fmt.Errorf("livepeer: query orchestrators: %w", err)
	}
	ranked, filtered := discovery.Rank(infos, want, g.set.maxPrice)
	rejections = append(rejections, filtered...)
	g.set.log.LogAttrs(ctx, slog.LevelDebug, "orchestrators discovered", slog.String("capability", label),
		slog.Int("listed", len(addrs)), slog.Int("answered", len(infos)), slog.Int("candidates", len(ranked)))
	return ranked, rejections, label, nil
}

func noneQualified(label string, rejections []Rejection) error {
	notOffered := 0
	for _, r := range rejections {
		if errors.Is(r.Err, ErrCapabilityNotOffered) {
			notOffered++
		}
	}
	reason := fmt.Sprintf("none of %d orchestrators qualified", len(rejections))
	if notOffered == len(rejections) {
		reason = "no orchestrator offers it"
	}
	return &NoOrchestratorError{Capability: label, Reason: reason, Rejections: rejections}
}
