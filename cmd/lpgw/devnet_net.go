package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

const (
	// defaultOrchestrators is how many orchestrators a devnet starts.
	defaultOrchestrators = 3
	// defaultRunnerSecret is the devnet orchestrators' bootstrap secret for
	// live runners (go-livepeer -orchSecret): fixed, like the ports of
	// --port-base, so runners in other languages can hardcode it. The
	// devnet listens on loopback only.
	defaultRunnerSecret = "lpgw-devnet"
)

// defaultBudget is the devnet signer's budget: 1 ETH of ticket EV, far
// more than a day of devnet use (a live session commits about 2·10^9 wei
// a minute at the devnet's 1 wei per pixel), small enough to be a budget.
func defaultBudget() *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil) }

// devnetWorkers are the BYOC capabilities a devnet serves, with their
// toy workers (package livepeertest/worker) and prices in wei per second.
func devnetWorkers() []struct {
	name  string
	price int64
	h     http.Handler
} {
	return []struct {
		name  string
		price int64
		h     http.Handler
	}{
		{"text-reversal", 1000, worker.TextReversal()},
		{"token-stream", 1000, &worker.Streamer{Count: 10, Interval: 100 * time.Millisecond}},
		{"always-fails", 1000, worker.Fail(http.StatusInternalServerError, "this worker always fails (lpgw devnet)")},
	}
}

// devnetRunner is one toy live-runner application a devnet registers
// with every orchestrator through package runner (dynamic registration).
type devnetRunner struct {
	app  string
	mode runner.Mode
	cap  int
	usd  string
	unit runner.PriceUnit
	// handler builds the application; r serves it (Scope needs it).
	handler func(r *runner.Runner) http.Handler
}

func devnetRunners() []devnetRunner {
	return []devnetRunner{
		{app: "toy/runner-app", mode: runner.Persistent, cap: 4, usd: "0.50", unit: runner.PerHour,
			handler: func(*runner.Runner) http.Handler { return worker.NewRunnerApp() }},
		{app: "toy/echo", mode: runner.SingleShot, cap: 8, usd: "0.001", unit: runner.Fixed,
			handler: func(*runner.Runner) http.Handler { return worker.Echo() }},
		{app: "live-video-to-video/scope", mode: runner.Persistent, cap: 2, usd: "0.00025", unit: runner.Per720p,
			handler: func(r *runner.Runner) http.Handler {
				return worker.Scope(r, livepeertest.RunnerVideo(livepeertest.Transform(livepeertest.TransformConfig{})))
			}},
	}
}

// devnetGPU is what the toy runners advertise.
var devnetGPU = runner.GPU{ID: "0", Name: "lpgw devnet toy GPU", VRAMMB: 24576}

// devnetOptions configures startDevnet.
type devnetOptions struct {
	orchestrators int
	budget        *big.Int // nil: unlimited
	ports         livepeertest.Ports
	runnerSecret  string // "" means defaultRunnerSecret
	signerAuth    bool   // the signer wants tokens from the API-key exchange (livepeertest.DefaultAPIKey)
	logger        *slog.Logger
}

// devnet is a running in-process network with its BYOC workers, live
// runners and LV2V pipelines.
type devnet struct {
	net          *livepeertest.Network
	runners      []*runner.Runner
	apps         []*http.Server
	appDone      []chan struct{}
	runnerSecret string
	capabilities []string
	runnerApps   []string
}

// devnetCapabilities is what every devnet orchestrator serves: the
// in-process network's defaults (live-video-to-video noop, streamdiffusion
// and streamdiffusion-sdxl; the built-in AI pipelines; byoc/text-reversal)
// plus the BYOC workers'.
func devnetCapabilities() []livepeertest.CapabilitySpec {
	caps := livepeertest.DefaultCapabilities()
	for _, w := range devnetWorkers() {
		name := "byoc/" + w.name
		if !slices.ContainsFunc(caps, func(c livepeertest.CapabilitySpec) bool { return c.Name == name }) {
			caps = append(caps, livepeertest.CapabilitySpec{Name: name, PricePerUnit: w.price, PixelsPerUnit: 1, Capacity: 4})
		}
	}
	return caps
}

// startDevnet starts the network, serves the toy runner applications and
// registers them with every orchestrator. LV2V: "noop" is a passthrough,
// every other model the visible ffmpeg Transform (livepeertest's default).
// On error nothing is left running.
func startDevnet(ctx context.Context, o devnetOptions) (_ *devnet, err error) {
	if o.runnerSecret == "" {
		o.runnerSecret = defaultRunnerSecret
	}
	caps := devnetCapabilities()
	workers := map[string]http.Handler{}
	for _, w := range devnetWorkers() {
		workers[w.name] = w.h
	}
	cfg := livepeertest.NetworkConfig{
		Orchestrators: o.orchestrators, Capabilities: caps, SignerBalance: o.budget, Logger: o.logger,
		Workers: workers, Runners: &livepeertest.RunnersConfig{Secret: o.runnerSecret}, Ports: o.ports,
	}
	if o.signerAuth {
		cfg.SignerAuth = &livepeertest.SignerAuthConfig{}
	}
	n, err := livepeertest.NewNetwork(cfg)
	if err != nil {
		return nil, err
	}
	d := &devnet{net: n, runnerSecret: o.runnerSecret}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	for _, c := range caps {
		d.capabilities = append(d.capabilities, c.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, spec := range devnetRunners() {
		if err := d.startRunner(ctx, spec, o.logger); err != nil {
			return nil, fmt.Errorf("runner %s: %w", spec.app, err)
		}
		d.runnerApps = append(d.runnerApps, spec.app)
	}
	return d, nil
}

// startRunner serves one toy application on a loopback port and registers
// it with every orchestrator.
func (d *devnet) startRunner(ctx context.Context, spec devnetRunner, log *slog.Logger) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var orchs []runner.Orchestrator
	for _, o := range d.net.Orchestrators() {
		orchs = append(orchs, runner.Orchestrator{URL: o.URL(), Secret: d.runnerSecret})
	}
	gpu := devnetGPU
	r, err := runner.New(runner.Config{
		Orchestrators: orchs, Logger: log, CloseTimeout: runnerCloseTimeout,
		Registration: runner.Registration{
			URL: "http://" + ln.Addr().String(), App: spec.app, Mode: spec.mode, Capacity: spec.cap,
			Price: &runner.Price{USD: spec.usd, Unit: spec.unit}, GPU: &gpu, Version: "lpgw-devnet",
		},
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{Handler: r.Handler(spec.handler(r)), ReadHeaderTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	d.runners, d.apps, d.appDone = append(d.runners, r), append(d.apps, srv), append(d.appDone, done)
	return r.Start(ctx)
}

// runnerCloseTimeout bounds a toy runner's unregistrations at Close (an
// orchestrator may be black-holed or slowed down by a fault knob).
const runnerCloseTimeout = 2 * time.Second

// Close unregisters the runners (all at once), stops their applications,
// then the network (which ends every stream and its ffmpeg processes),
// and waits for all of it.
func (d *devnet) Close() {
	var wg sync.WaitGroup
	for _, r := range d.runners {
		// Unregistering from a network that is about to close may fail;
		// Close still ends the runner's sessions and goroutines.
		wg.Go(func() { _ = r.Close() })
	}
	wg.Wait()
	for i, s := range d.apps {
		_ = s.Close()
		<-d.appDone[i]
	}
	d.net.Close()
}
