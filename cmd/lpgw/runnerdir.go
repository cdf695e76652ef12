package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

// runnerSource finds live runners: gatewayRunners (the SDK's
// Gateway.Runners, package liverunner) in the command, fakes in tests.
type runnerSource interface {
	// Runners returns every runner found, and one error per orchestrator
	// that could not be asked (the others' runners are still returned).
	Runners(ctx context.Context) ([]runnerRecord, []error, error)
}

// runnerRecord is one runner as listed (and as --json prints it): the
// fields of go-livepeer's LiveRunnerDiscoveryRunner
// (ai/runner/live_runner.go, master) with the orchestrator that listed it.
// url is always an orchestrator URL (.../apps/{route}/session for
// persistent runners, .../apps/{route}/app for single-shot ones), never
// the runner's.
type runnerRecord struct {
	Orchestrator      string       `json:"orchestrator"` // the orchestrator's URL ("address" of its discovery entry)
	URL               string       `json:"url"`
	App               string       `json:"app"`
	Version           string       `json:"version,omitempty"`
	Metadata          string       `json:"metadata,omitempty"`
	Mode              string       `json:"mode,omitempty"` // "persistent" (default) or "single-shot"
	Capacity          int          `json:"capacity"`
	CapacityUsed      int          `json:"capacity_used"`
	CapacityAvailable int          `json:"capacity_available"`
	GPU               *runnerGPU   `json:"gpu,omitempty"`
	PriceInfo         *runnerPrice `json:"price_info,omitempty"` // absent off-chain
}

// runnerGPU is go-livepeer LiveRunnerGPU.
type runnerGPU struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	VRAMMB int    `json:"vram_mb,omitempty"`
}

// runnerPrice is go-livepeer LiveRunnerPriceInfo as discovery reports it:
// wei per "seconds", "720p-pixel-seconds" or "fixed" (a whole session).
type runnerPrice struct {
	Price    json.Number `json:"price"`
	Currency string      `json:"currency,omitempty"`
	Unit     string      `json:"unit,omitempty"`
}

// gatewayRunners lists the runners the Gateway finds (Gateway.Runners):
// from its orchestrator list (each one's GET /discovery, over the
// Gateway's orchestrator transport, with its certificate pins), else its
// discovery endpoint's runner records, else the remote signer's.
type gatewayRunners struct {
	gw  *livepeer.Gateway
	app string // "" for every app
}

// Runners implements runnerSource. The SDK reports why orchestrators were
// left out only when no runner is left; those reasons are the errors then.
func (g gatewayRunners) Runners(ctx context.Context) ([]runnerRecord, []error, error) {
	rs, err := g.gw.Runners(ctx, livepeer.RunnerFilter{App: g.app})
	var noe *livepeer.NoOrchestratorError
	if errors.As(err, &noe) && ctx.Err() == nil {
		var errs []error
		for _, r := range noe.Rejections {
			errs = append(errs, fmt.Errorf("%s: %w", r.Orchestrator, r.Err))
		}
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]runnerRecord, 0, len(rs))
	for _, r := range rs {
		out = append(out, recordOf(r))
	}
	return out, nil, nil
}

// recordOf is r as listed.
func recordOf(r livepeer.Runner) runnerRecord {
	rec := runnerRecord{
		Orchestrator: r.Orchestrator, URL: r.URL, App: r.App, Version: r.Version, Metadata: r.Metadata, Mode: string(r.Mode),
		Capacity: r.Capacity, CapacityUsed: r.CapacityUsed, CapacityAvailable: r.CapacityAvailable,
	}
	if r.GPU != nil {
		rec.GPU = &runnerGPU{ID: r.GPU.ID, Name: r.GPU.Name, VRAMMB: r.GPU.VRAMMB}
	}
	if r.Price != nil && r.Price.Wei != nil {
		rec.PriceInfo = &runnerPrice{Price: json.Number(ratDecimal(r.Price.Wei)), Currency: r.Price.Currency, Unit: r.Price.Unit}
	}
	return rec
}

// ratDecimal renders a price as a decimal number: an integer as it is, a
// fraction with up to 18 decimals, trailing zeros dropped.
func ratDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return strings.TrimSuffix(strings.TrimRight(r.FloatString(18), "0"), ".")
}
