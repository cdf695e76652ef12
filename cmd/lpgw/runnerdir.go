package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

// runnerSource finds live runners. It is the seam for package liverunner:
// until the SDK has a live-runner client, orchestratorDirectory reads each
// orchestrator's GET /discovery itself; then an adapter over that client
// replaces it and the runners command stays as it is.
type runnerSource interface {
	// Runners returns every runner found, and one error per orchestrator
	// that could not be asked (the others' runners are still returned).
	Runners(ctx context.Context) ([]runnerRecord, []error, error)
}

// runnerRecord is one runner of GET {orchestrator}/discovery, go-livepeer
// LiveRunnerDiscoveryRunner (ai/runner/live_runner.go, master): url is
// always an orchestrator URL (.../apps/{route}/session for persistent
// runners, .../apps/{route}/app for single-shot ones), never the runner's.
type runnerRecord struct {
	Orchestrator      string       `json:"orchestrator"` // the orchestrator's address ("address" of its entry)
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

// orchestratorDirectory asks every orchestrator the Gateway discovers for
// its runners (GET {service URI}/discovery; 404 means no live-runner
// support and is not an error).
type orchestratorDirectory struct {
	gw *livepeer.Gateway
	hc *http.Client
}

// maxDiscoveryBody bounds one orchestrator's /discovery answer.
const maxDiscoveryBody = 8 << 20

func newOrchestratorDirectory(gw *livepeer.Gateway) *orchestratorDirectory {
	// Orchestrators serve self-signed certificates; go-livepeer's gateway,
	// the Python SDK and this SDK do not verify them either.
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	return &orchestratorDirectory{gw: gw, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

func (d *orchestratorDirectory) Close() { d.hc.CloseIdleConnections() }

func (d *orchestratorDirectory) Runners(ctx context.Context) ([]runnerRecord, []error, error) {
	infos, err := d.gw.Orchestrators(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	var (
		mu   sync.Mutex
		out  []runnerRecord
		errs []error
		wg   sync.WaitGroup
	)
	for _, in := range infos {
		wg.Go(func() {
			rs, err := d.ask(ctx, in.Addr, in.Transcoder)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", in.Addr, err))
				return
			}
			out = append(out, rs...)
		})
	}
	wg.Wait()
	return out, errs, nil
}

func (d *orchestratorDirectory) ask(ctx context.Context, addr, serviceURI string) ([]runnerRecord, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(serviceURI, "/")+"/discovery", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBody+1))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil // no live-runner support: nothing to list
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET /discovery: %s: %s", resp.Status, strings.TrimSpace(string(body[:min(len(body), 200)])))
	case len(body) > maxDiscoveryBody:
		return nil, fmt.Errorf("GET /discovery: answer larger than %d bytes", maxDiscoveryBody)
	}
	var entries []struct {
		Address string         `json:"address"`
		Runners []runnerRecord `json:"runners"`
	}
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, fmt.Errorf("GET /discovery: not go-livepeer's [{address, runners}]: %w", err)
	}
	var out []runnerRecord
	for _, e := range entries {
		for _, r := range e.Runners {
			r.Orchestrator = addr
			out = append(out, r)
		}
	}
	return out, nil
}
