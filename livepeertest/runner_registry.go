package livepeertest

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// Defaults of go-livepeer's live-runner registry (ai/runner/live_runner.go)
// and payment interval (-livePaymentInterval).
const (
	DefaultRunnerHeartbeatInterval = 5 * time.Second
	DefaultRunnerHeartbeatTTL      = 20 * time.Second
	DefaultRunnerO2RInterval       = 10 * time.Second
	DefaultRunnerHealthInterval    = 5 * time.Second
	DefaultRunnerHealthTimeout     = 3 * time.Second
)

// DefaultUSDPerETH is the ETH price the in-process network converts runner
// prices (USD) to wei with; go-livepeer reads a live price feed instead.
var DefaultUSDPerETH = big.NewRat(2500, 1)

// RunnersConfig turns on go-livepeer's live runners on an orchestrator (see
// EnableRunners and NetworkConfig.Runners). The zero value serves static
// runners only, with go-livepeer's defaults.
type RunnersConfig struct {
	// Secret is the bootstrap secret dynamic runners send, raw, in the
	// Authorization header of their first POST /runners/heartbeat
	// (go-livepeer -orchSecret). Empty disables dynamic registration: the
	// heartbeat then answers 404, as go-livepeer without -orchSecret.
	Secret string
	// Static is registered at start, like go-livepeer's -liveRunnerConfig.
	Static *StaticRunners
	// HeartbeatInterval is the interval returned to dynamic runners and the
	// period of the expiry sweep (default DefaultRunnerHeartbeatInterval).
	HeartbeatInterval time.Duration
	// HeartbeatTTL: a dynamic runner with no heartbeat for this long is
	// expired (404) and removed at the next sweep (default
	// DefaultRunnerHeartbeatTTL).
	HeartbeatTTL time.Duration
	// O2RInterval is the keepalive period of the orchestrator-to-runner
	// channel (default DefaultRunnerO2RInterval).
	O2RInterval time.Duration
	// HealthInterval and HealthTimeout govern the health checks of static
	// runners (defaults DefaultRunnerHealthInterval, DefaultRunnerHealthTimeout).
	HealthInterval, HealthTimeout time.Duration
	// PaymentInterval is how often a paid session is charged (go-livepeer
	// -livePaymentInterval; default defaultDebitInterval).
	PaymentInterval time.Duration
	// USDPerETH converts registration prices (USD) to wei; nil means
	// DefaultUSDPerETH.
	USDPerETH *big.Rat
}

// RunnerRegistry serves go-livepeer's live runners on one [Orchestrator]:
// the registry (static runners.json entries and dynamic heartbeat
// registrations), discovery, sessions with payments, the reverse proxy and
// the runner callbacks, with master's routes, status codes and bodies (see
// EnableRunners). All methods are safe for concurrent use.
type RunnerRegistry struct {
	o   *Orchestrator
	ls  *LiveServer
	cfg RunnersConfig
	log *slog.Logger
	hc  *http.Client // health checks and the orchestrator's own trickle channels
	// proxyTransport reaches runner apps; like go-livepeer's default
	// transport it verifies TLS certificates.
	proxyTransport *http.Transport

	ctx    context.Context // cancelled by Close: ends proxied requests and session monitors
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	runners map[string]*regRunner // by route (runner id, or label for label-routed static runners)
	closed  bool
}

// EnableRunners mounts go-livepeer's live-runner routes on o, using ls's
// trickle server for the runner channels (as go-livepeer uses its
// orchestrator's trickle server):
//
//	POST /runners/heartbeat                                  dynamic registration
//	POST /runners/{runner_id}/unregister
//	GET  /discovery
//	POST /apps/{runner_id}/session                           reserve (402 challenge on-chain)
//	POST /apps/{runner_id}/session/{session_id}/stop
//	POST /apps/{runner_id}/session/{session_id}/payment
//	ANY  /apps/{runner_id}/session/{session_id}/app/{path...} proxy to the runner
//	ANY  /apps/{runner_id}/app/{path...}                      single-shot
//	ANY  /run/{proxy}/{path...}                               session-scoped proxy URLs
//	POST|DELETE /runner/{runner_id}/session/{session_id}/channels
//	POST /runner/{runner_id}/session/{session_id}/proxy
//	POST /runner/{runner_id}/session/{session_id}/stop
//
// It registers cfg.Static first and returns its validation error, if any,
// without mounting anything. Call Close (before the orchestrator's and the
// live server's Close) to release every session and stop every goroutine.
// It panics, like http.ServeMux, if the routes are already registered on o.
func EnableRunners(o *Orchestrator, ls *LiveServer, cfg RunnersConfig) (*RunnerRegistry, error) {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultRunnerHeartbeatInterval
	}
	if cfg.HeartbeatTTL <= 0 {
		cfg.HeartbeatTTL = DefaultRunnerHeartbeatTTL
	}
	if cfg.O2RInterval <= 0 {
		cfg.O2RInterval = DefaultRunnerO2RInterval
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = DefaultRunnerHealthInterval
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = DefaultRunnerHealthTimeout
	}
	if cfg.PaymentInterval <= 0 {
		cfg.PaymentInterval = defaultDebitInterval
	}
	if cfg.USDPerETH == nil {
		cfg.USDPerETH = DefaultUSDPerETH
	}
	if cfg.USDPerETH.Sign() <= 0 {
		return nil, errors.New("livepeertest: RunnersConfig.USDPerETH must be positive")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the orchestrator's own self-signed certificate
	tr.ForceAttemptHTTP2 = false
	r := &RunnerRegistry{
		o: o, ls: ls, cfg: cfg, log: o.logger(),
		hc:             &http.Client{Transport: tr},
		proxyTransport: http.DefaultTransport.(*http.Transport).Clone(),
		runners:        map[string]*regRunner{},
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if cfg.Static != nil {
		if _, err := r.RegisterStatic(*cfg.Static); err != nil {
			r.cancel()
			return nil, err
		}
	}
	r.mount()
	r.wg.Add(2)
	go r.expiryLoop()
	go r.healthLoop()
	return r, nil
}

func (r *RunnerRegistry) mount() {
	o := r.o
	o.handle("POST /runners/heartbeat", http.HandlerFunc(r.handleHeartbeat))
	o.handle("POST /runners/{runner_id}/unregister", http.HandlerFunc(r.handleUnregister))
	o.handle("POST /runner/{runner_id}/session/{session_id}/channels", http.HandlerFunc(r.handleCreateChannels))
	o.handle("DELETE /runner/{runner_id}/session/{session_id}/channels", http.HandlerFunc(r.handleDeleteChannels))
	o.handle("POST /runner/{runner_id}/session/{session_id}/proxy", http.HandlerFunc(r.handleCreateProxy))
	o.handle("POST /runner/{runner_id}/session/{session_id}/stop", http.HandlerFunc(r.handleRunnerStop))
	o.handle("GET /discovery", http.HandlerFunc(r.handleDiscovery))
	o.handle("POST /apps/{runner_id}/session", http.HandlerFunc(r.handleReserve))
	o.handle("POST /apps/{runner_id}/session/{session_id}/stop", http.HandlerFunc(r.handleStop))
	o.handle("POST /apps/{runner_id}/session/{session_id}/payment", http.HandlerFunc(r.handlePayment))
	o.handle("/apps/{runner_id}/session/{session_id}/app/{app_path...}", http.HandlerFunc(r.handleSessionProxy))
	o.handle("/apps/{runner_id}/app/{app_path...}", http.HandlerFunc(r.handleSingleShot))
	o.handle("/run/{proxy}/{app_path...}", http.HandlerFunc(r.handleRunProxy))
	o.handle("/run/{proxy}", http.HandlerFunc(r.handleRunProxy))
}

// Close releases every session (its channels and proxies), closes every
// runner's O2R channel, ends proxied requests still running (WebSockets
// included) and waits for the registry's goroutines. Routes answer 404
// afterwards. Idempotent.
func (r *RunnerRegistry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var o2rs []*o2rChannel
	for route, rr := range r.runners {
		if rr.route == route {
			r.dropRunnerLocked(rr, "registry closed")
			if rr.o2r != nil {
				o2rs = append(o2rs, rr.o2r)
			}
		}
	}
	r.runners = map[string]*regRunner{}
	r.mu.Unlock()
	r.cancel()
	for _, c := range o2rs {
		c.wait()
	}
	r.wg.Wait()
	r.hc.CloseIdleConnections()
	r.proxyTransport.CloseIdleConnections()
	return nil
}

// runnerError is an error with the HTTP status go-livepeer answers for it
// (go-livepeer runner.RunnerError).
type runnerError struct {
	status int
	msg    string
}

func (e *runnerError) Error() string { return e.msg }

func errRunnerNotFound() error  { return &runnerError{http.StatusNotFound, "runner not found"} }
func errSessionNotFound() error { return &runnerError{http.StatusNotFound, "runner session not found"} }

// respondRunnerError answers err as go-livepeer's respondWithLiveRunnerError:
// plain text with the error's status, 500 for other errors.
func respondRunnerError(w http.ResponseWriter, err error) {
	var re *runnerError
	if errors.As(err, &re) {
		http.Error(w, re.msg, re.status)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
