package discovery

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// direct is the path without a pool (PoolOptions.Disabled): list the
// source, ask every orchestrator and wait for all of them, rank.
func (p *Pool) direct(ctx context.Context, want *Capability) (ranked []*Info, rejections []Rejection, err error) {
	lbl := label(want)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if p.isClosed() {
		return nil, nil, lperr.ErrClosed
	}
	addrs, err := p.src.Orchestrators(ctx, want)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("discovery: list orchestrators: %w", ctx.Err())
		}
		return nil, nil, fmt.Errorf("discovery: list orchestrators from %s: %w", p.src, err)
	}
	if len(addrs) == 0 {
		return nil, nil, &lperr.NoOrchestratorError{Capability: lbl, Reason: p.src.String() + " returned no orchestrators"}
	}
	infos, rejections, err := p.client.Query(ctx, addrs, want)
	if err != nil {
		return nil, nil, fmt.Errorf("discovery: query orchestrators: %w", err)
	}
	ranked, filtered := Rank(infos, want, p.maxPrice)
	rejections = append(rejections, filtered...)
	p.log.LogAttrs(ctx, slog.LevelDebug, "orchestrators discovered", slog.String("capability", lbl),
		slog.Int("listed", len(addrs)), slog.Int("answered", len(infos)), slog.Int("candidates", len(ranked)))
	if len(ranked) == 0 {
		return nil, nil, noneQualified(lbl, rejections)
	}
	return ranked, rejections, nil
}
