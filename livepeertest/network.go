package livepeertest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// NetworkConfig configures NewNetwork. The zero value gives three on-chain
// orchestrators serving DefaultCapabilities, a signer with an unlimited
// budget, and a discovery endpoint.
type NetworkConfig struct {
	// Orchestrators is how many orchestrators to start; 0 means 3.
	Orchestrators int
	// Capabilities every orchestrator serves; nil means DefaultCapabilities().
	Capabilities []CapabilitySpec
	// Offchain runs without a signer: orchestrators skip signature checks and
	// quote no price or ticket params (like go-livepeer off-chain) but still
	// issue and check auth tokens.
	Offchain bool
	// SignerBalance is the payer's budget in wei of committed ticket EV; nil is unlimited.
	SignerBalance *big.Int
	// SignerMaxPricePerUnit is the signer's configured price ceiling; nil means none.
	SignerMaxPricePerUnit *big.Rat
	// SignerAuth, when set, makes the signer demand bearer tokens from the
	// network's API-key exchange at BillingURL (not with Offchain).
	SignerAuth *SignerAuthConfig
	// Logger receives debug logs from every component; nil discards them.
	Logger *slog.Logger
	// Live configures the live routes (live-video-to-video, BYOC streams,
	// trickle) every orchestrator serves; see enableLive.
	Live LiveConfig
	// Workers, when set, turns on the BYOC job routes (EnableBYOC) on every
	// orchestrator and serves each handler as the worker of the BYOC
	// capability of that name (for example "text-reversal" →
	// worker.TextReversal(), or your own container's handler). A name with
	// no "byoc/<name>" entry in Capabilities is added at
	// 1000 wei per second (nil Capabilities start from
	// DefaultCapabilities()).
	Workers map[string]http.Handler
	// BYOC configures the BYOC routes turned on by Workers.
	BYOC BYOCConfig
	// AI configures the built-in batch AI routes every orchestrator serves
	// (EnableAI) for the AI pipelines in Capabilities.
	AI AIConfig
	// Runners, when set, turns on go-livepeer's live runners (EnableRunners)
	// on every orchestrator; the signer's discovery then lists their runners.
	Runners *RunnersConfig
	// Ports fixes the loopback ports (see Ports); the zero value lets the
	// system pick every port.
	Ports Ports
}

// defaultBYOCPricePerSecond is the price, in wei per second of compute, of a
// BYOC capability that NetworkConfig.Workers adds.
const defaultBYOCPricePerSecond = 1000

// Network is an in-process Livepeer network: orchestrators, a remote signer
// (unless offchain) and a standalone discovery endpoint, all on 127.0.0.1
// random ports, sharing one simulated L1 block clock. Safe for concurrent use.
type Network struct {
	clock  *blockClock
	orchs  []*Orchestrator
	live   []*LiveServer
	byoc   []*BYOCServer
	ai     []*AIServer
	runreg []*RunnerRegistry
	signer *Signer
	issuer *tokenIssuer

	discLn    net.Listener
	discSrv   *http.Server
	discURL   string
	discDone  chan struct{}
	closeOnce sync.Once
}

// NewNetwork starts a network. On error nothing is left running.
func NewNetwork(cfg NetworkConfig) (_ *Network, err error) {
	if cfg.Orchestrators < 0 {
		return nil, fmt.Errorf("livepeertest: NetworkConfig.Orchestrators is negative: %w", lperr.ErrInvalidConfig)
	}
	if cfg.Orchestrators == 0 {
		cfg.Orchestrators = 3
	}
	if len(cfg.Workers) > 0 {
		cfg.Capabilities = withWorkerCapabilities(cfg.Capabilities, cfg.Workers)
	}
	if _, err := parseCapabilities(cfg.Capabilities); err != nil {
		return nil, err
	}
	if err := cfg.Ports.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Network{clock: newBlockClock(100), discDone: make(chan struct{})}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	for i := 0; i < cfg.Orchestrators; i++ {
		o, err := newOrchestrator(orchestratorConfig{
			Capabilities: cfg.Capabilities, Offchain: cfg.Offchain, Clock: n.clock,
			Logger: log.With("orchestrator", i), Port: cfg.Ports.orchestrator(i),
		})
		if err != nil {
			return nil, err
		}
		n.orchs = append(n.orchs, o)
		n.live = append(n.live, enableLive(o, cfg.Live))
		n.ai = append(n.ai, EnableAI(o, cfg.AI))
		if cfg.Runners != nil {
			reg, err := EnableRunners(o, n.live[i], *cfg.Runners)
			if err != nil {
				return nil, err
			}
			n.runreg = append(n.runreg, reg)
		}
		if len(cfg.Workers) > 0 {
			b := EnableBYOC(o, cfg.BYOC)
			n.byoc = append(n.byoc, b)
			for _, name := range slices.Sorted(maps.Keys(cfg.Workers)) {
				if _, err := b.ServeWorker(name, 0, cfg.Workers[name]); err != nil {
					return nil, err
				}
			}
		}
	}
	if cfg.SignerAuth != nil {
		if cfg.Offchain {
			return nil, fmt.Errorf("livepeertest: NetworkConfig.SignerAuth needs a signer (not Offchain): %w", lperr.ErrInvalidConfig)
		}
		if n.issuer, err = newTokenIssuer(*cfg.SignerAuth, n.SignerURL); err != nil {
			return nil, err
		}
	}
	if !cfg.Offchain {
		n.signer, err = newSigner(signerConfig{
			Balance: cfg.SignerBalance, MaxPricePerUnit: cfg.SignerMaxPricePerUnit, Clock: n.clock,
			Orchestrators: n.discoveryEntries, Logger: log.With("component", "signer"), Auth: n.issuer, Port: cfg.Ports.Signer,
		})
		if err != nil {
			return nil, err
		}
	}
	n.discLn, err = listenLoopback(cfg.Ports.Discovery)
	if err != nil {
		close(n.discDone)
		return nil, err
	}
	n.discURL = "http://" + n.discLn.Addr().String() + "/discover-orchestrators"
	mux := http.NewServeMux()
	mux.Handle("GET /discover-orchestrators", discoveryHandler(n.discoveryEntries))
	if n.issuer != nil {
		mux.Handle("POST "+ExchangePath, n.issuer)
	}
	n.discSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slogToLog(log)}
	go func() {
		defer close(n.discDone)
		_ = n.discSrv.Serve(n.discLn)
	}()
	return n, nil
}

func (n *Network) discoveryEntries() []discoveryEntry {
	out := make([]discoveryEntry, 0, len(n.orchs))
	for i, o := range n.orchs {
		e := o.discoveryEntry()
		if i < len(n.runreg) {
			e = withRunners(e, n.runreg[i].Discovery())
		}
		out = append(out, e)
	}
	return out
}

// SignerURL returns the signer's "http://127.0.0.1:port", or "" offchain.
func (n *Network) SignerURL() string {
	if n.signer == nil {
		return ""
	}
	return n.signer.URL()
}

// DiscoveryURL returns the standalone discovery endpoint
// ("http://127.0.0.1:port/discover-orchestrators"): GET answers
// [{"address","score","capabilities"}] and honours repeated ?caps=pipeline/model (OR).
func (n *Network) DiscoveryURL() string { return n.discURL }

// BillingURL returns the base URL of the network's API-key exchange
// ("http://127.0.0.1:port"; POST BillingURL+ExchangePath), or "" without
// NetworkConfig.SignerAuth. It is the BillingURL of a livepeer.Config.
func (n *Network) BillingURL() string {
	if n.issuer == nil {
		return ""
	}
	return strings.TrimSuffix(n.discURL, "/discover-orchestrators")
}

// TokenExchanges returns how many signer tokens the exchange issued and how
// many exchange requests it refused (bad key, scope or body).
func (n *Network) TokenExchanges() (issued, refused int) {
	if n.issuer == nil {
		return 0, 0
	}
	return n.issuer.counts()
}

// OrchestratorAddrs returns each orchestrator's "127.0.0.1:port".
func (n *Network) OrchestratorAddrs() []string {
	out := make([]string, len(n.orchs))
	for i, o := range n.orchs {
		out[i] = o.Addr()
	}
	return out
}

// Orchestrators returns the orchestrators, in start order.
func (n *Network) Orchestrators() []*Orchestrator { return append([]*Orchestrator(nil), n.orchs...) }

// Signer returns the remote signer, or nil offchain.
func (n *Network) Signer() *Signer { return n.signer }

// AdvanceBlocks moves the shared L1 clock k blocks forward; ticket params
// expire 40 blocks after they are issued (the signer asks for a refresh one block earlier).
func (n *Network) AdvanceBlocks(k int64) { n.clock.advance(k) }

// Token returns the standard-base64 JSON gateway token {"signer","discovery"}
// (no "signer" offchain) that the Python SDK and this module accept.
func (n *Network) Token() string {
	t := map[string]string{"discovery": n.discURL}
	if n.signer != nil {
		t["signer"] = n.signer.URL()
	}
	b, _ := json.Marshal(t)
	return base64.StdEncoding.EncodeToString(b)
}

// Close stops every component and waits for them; idempotent.
func (n *Network) Close() {
	n.closeOnce.Do(func() {
		if n.discSrv != nil {
			_ = n.discSrv.Close()
			<-n.discDone
		}
		if n.signer != nil {
			n.signer.Close()
		}
		for _, r := range n.runreg {
			_ = r.Close()
		}
		for _, l := range n.live {
			_ = l.Close()
		}
		for _, b := range n.byoc {
			_ = b.Close()
		}
		for _, a := range n.ai {
			_ = a.Close()
		}
		for _, o := range n.orchs {
			o.Close()
		}
	})
}

// BYOC returns each orchestrator's BYOC job server (nil without
// NetworkConfig.Workers), in orchestrator order.
func (n *Network) BYOC() []*BYOCServer { return append([]*BYOCServer(nil), n.byoc...) }

// withWorkerCapabilities returns caps (DefaultCapabilities when nil) plus a
// "byoc/<name>" entry for every worker that has none.
func withWorkerCapabilities(caps []CapabilitySpec, workers map[string]http.Handler) []CapabilitySpec {
	if caps == nil {
		caps = DefaultCapabilities()
	}
	out := slices.Clone(caps)
	for _, name := range slices.Sorted(maps.Keys(workers)) {
		if !slices.ContainsFunc(out, func(c CapabilitySpec) bool { return c.Name == "byoc/"+name }) {
			out = append(out, CapabilitySpec{Name: "byoc/" + name, PricePerUnit: defaultBYOCPricePerSecond, PixelsPerUnit: 1, Capacity: 4})
		}
	}
	return out
}

// Live returns each orchestrator's live server (streams, trickle channels),
// in orchestrator order.
func (n *Network) Live() []*LiveServer { return append([]*LiveServer(nil), n.live...) }

// AI returns each orchestrator's batch AI server (routes, toy models,
// charges), in orchestrator order.
func (n *Network) AI() []*AIServer { return append([]*AIServer(nil), n.ai...) }

// Runners returns each orchestrator's live-runner registry (nil without
// NetworkConfig.Runners), in orchestrator order.
func (n *Network) Runners() []*RunnerRegistry { return append([]*RunnerRegistry(nil), n.runreg...) }
