package livepeertest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// Defaults for orchestratorConfig (go-livepeer's defaults where it has one).
var (
	// DefaultTicketEV is the expected value of one ticket, in wei (go-livepeer -ticketEV default).
	DefaultTicketEV = big.NewInt(1_000_000_000_000)
	// defaultAuthTokenValidity is how long an auth token from GetOrchestrator stays valid (go-livepeer rpc.go).
	defaultAuthTokenValidity = 30 * time.Minute
)

// orchestratorConfig configures newOrchestrator. The zero value is a valid
// on-chain orchestrator serving DefaultCapabilities.
type orchestratorConfig struct {
	// Capabilities served; nil means DefaultCapabilities().
	Capabilities []CapabilitySpec
	// Offchain behaves like go-livepeer without -network: no signature checks,
	// no ticket params, no price, zero address; auth tokens are still issued and checked.
	Offchain bool
	// Key is the orchestrator's Ethereum key (ticket recipient); nil generates one.
	Key *ecdsa.PrivateKey
	// Clock is the simulated L1 block clock; nil makes a private one at block 100.
	Clock *blockClock
	// BasePrice is the price (wei per pixel) quoted when a request names no priced
	// capability; nil means 1 wei per pixel.
	BasePrice *big.Rat
	// TicketEV is the expected value of one ticket in wei; nil means DefaultTicketEV.
	TicketEV *big.Int
	// FaceValue of tickets in wei; nil means 100 × TicketEV (go-livepeer's evMultiplier).
	FaceValue *big.Int
	// AuthTokenValidity overrides defaultAuthTokenValidity when > 0.
	AuthTokenValidity time.Duration
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Port is the loopback port to listen on; 0 lets the system pick (ports.go).
	Port int
}

// Orchestrator is an in-process Livepeer orchestrator: one TLS port serving the
// net.Orchestrator gRPC service and HTTP routes (POST /payment, plus any added
// with Handle). All methods are safe for concurrent use.
type Orchestrator struct {
	log       *slog.Logger
	caps      []*capability
	offchain  bool
	key       *ecdsa.PrivateKey
	address   eth.Address
	clock     *blockClock
	basePrice *big.Rat
	faceValue *big.Int
	winProb   *big.Int
	tokenTTL  atomic.Int64 // auth token validity, ns (SetAuthTokenValidity)
	secret    []byte       // auth-token HMAC key
	randKey   []byte       // recipientRand HMAC key

	ln        *holdListener
	srv       *http.Server
	rpc       http.Handler // net.Orchestrator over gRPC (connect)
	rpcPrefix string
	mux       *http.ServeMux
	hostPort  string
	cert      atomic.Pointer[tls.Certificate] // presented to new connections
	serveDone chan struct{}
	closed    chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	reqs        sync.WaitGroup
	closing     bool
	latency     time.Duration
	blackholeCh chan struct{} // non-nil while black-holed; closed when it ends
	failGetOrch int
	httpFaults  map[string]httpFault
	balances    map[balanceKey]*big.Rat
	nonces      map[hash32]map[uint32]struct{}
	inUse       map[string]int
	payments    int
	tickets     int
	getOrch     int
}

type httpFault struct {
	n      int
	status int
}

type balanceKey struct {
	sender     eth.Address
	manifestID string
}

// newOrchestrator starts an orchestrator on a random 127.0.0.1 port. It
// returns an error if the configuration is invalid or the port cannot be opened.
// Call Close to stop it.
func newOrchestrator(cfg orchestratorConfig) (*Orchestrator, error) {
	caps, err := parseCapabilities(cfg.Capabilities)
	if err != nil {
		return nil, err
	}
	o := &Orchestrator{
		log:        cfg.Logger,
		caps:       caps,
		offchain:   cfg.Offchain,
		key:        cfg.Key,
		clock:      cfg.Clock,
		basePrice:  cfg.BasePrice,
		mux:        http.NewServeMux(),
		serveDone:  make(chan struct{}),
		closed:     make(chan struct{}),
		httpFaults: map[string]httpFault{},
		balances:   map[balanceKey]*big.Rat{},
		nonces:     map[hash32]map[uint32]struct{}{},
		inUse:      map[string]int{},
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.clock == nil {
		o.clock = newBlockClock(100)
	}
	if o.basePrice == nil {
		o.basePrice = big.NewRat(1, 1)
	} else if o.basePrice.Sign() < 0 {
		return nil, fmt.Errorf("livepeertest: BasePrice is negative: %w", lperr.ErrInvalidConfig)
	}
	o.tokenTTL.Store(int64(defaultAuthTokenValidity))
	if cfg.AuthTokenValidity > 0 {
		o.tokenTTL.Store(int64(cfg.AuthTokenValidity))
	}
	ev := cfg.TicketEV
	if ev == nil {
		ev = DefaultTicketEV
	}
	o.faceValue = cfg.FaceValue
	if o.faceValue == nil {
		o.faceValue = new(big.Int).Mul(ev, big.NewInt(100))
	}
	if ev.Sign() <= 0 || o.faceValue.Cmp(ev) < 0 {
		return nil, fmt.Errorf("livepeertest: TicketEV must be > 0 and FaceValue ≥ TicketEV: %w", lperr.ErrInvalidConfig)
	}
	o.winProb = winProbFor(o.faceValue, ev)
	if o.key == nil && !o.offchain {
		if o.key, err = eth.GenerateKey(); err != nil {
			return nil, err
		}
	}
	if !o.offchain {
		o.address = eth.KeyAddress(o.key)
	}
	o.secret, o.randKey = make([]byte, 32), make([]byte, 32)
	if _, err := rand.Read(o.secret); err != nil {
		return nil, err
	}
	if _, err := rand.Read(o.randKey); err != nil {
		return nil, err
	}

	cert, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	o.cert.Store(&cert)
	l, err := listenLoopback(cfg.Port)
	if err != nil {
		return nil, err
	}
	o.ln = newHoldListener(l)
	o.hostPort = l.Addr().String()
	o.rpcPrefix, o.rpc = lpnet.NewOrchestratorHandler(&orchRPC{o: o})
	o.mux.HandleFunc("POST /payment", o.handlePayment)
	o.srv = &http.Server{
		Handler: http.HandlerFunc(o.serveHTTP),
		TLSConfig: &tls.Config{NextProtos: []string{"h2", "http/1.1"},
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return o.cert.Load(), nil }},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          nil,
	}
	o.srv.ErrorLog = slogToLog(o.log)
	go func() {
		defer close(o.serveDone)
		_ = o.srv.ServeTLS(o.ln, "", "")
	}()
	o.log.Debug("livepeertest: orchestrator started", "addr", o.hostPort, "eth", o.address.Hex(), "offchain", o.offchain)
	return o, nil
}

// Addr returns "127.0.0.1:port", the gRPC target (HTTP shares the port).
func (o *Orchestrator) Addr() string { return o.hostPort }

// URL returns "https://127.0.0.1:port", the orchestrator's service URI
// (OrchestratorInfo.transcoder).
func (o *Orchestrator) URL() string { return "https://" + o.hostPort }

// Address returns the orchestrator's Ethereum address (zero when offchain).
func (o *Orchestrator) Address() eth.Address { return o.address }

// Offchain reports whether the orchestrator runs without payments.
func (o *Orchestrator) isOffchain() bool { return o.offchain }

// Logger returns the orchestrator's logger (never nil), for route files added with Handle.
func (o *Orchestrator) logger() *slog.Logger { return o.log }

// Handle registers an extra HTTP route on the orchestrator port (the extension
// hook for LV2V, BYOC and trickle routes). Patterns follow http.ServeMux; like
// it, Handle panics on a conflicting pattern. Latency, black-hole and FailHTTP
// knobs apply to these routes too.
func (o *Orchestrator) handle(pattern string, h http.Handler) { o.mux.Handle(pattern, h) }

// SetLatency delays every request (gRPC and HTTP) by d before it is handled.
func (o *Orchestrator) SetLatency(d time.Duration) {
	o.mu.Lock()
	o.latency = d
	o.mu.Unlock()
}

// SetBlackhole turns black-hole mode on or off. While on, the orchestrator
// accepts TCP connections but never answers: new connections get no TLS
// handshake and requests on existing connections are parked, so both gRPC and
// HTTP clients hang until their own timeout. Turning it off closes the held
// connections and releases parked requests.
func (o *Orchestrator) SetBlackhole(on bool) {
	o.mu.Lock()
	switch {
	case on && o.blackholeCh == nil:
		o.blackholeCh = make(chan struct{})
	case !on && o.blackholeCh != nil:
		close(o.blackholeCh)
		o.blackholeCh = nil
	}
	o.mu.Unlock()
	o.ln.setBlackhole(on)
}

// FailGetOrchestrator makes the next n GetOrchestrator calls fail with a gRPC
// error (status Unknown, as go-livepeer's plain errors arrive).
func (o *Orchestrator) FailGetOrchestrator(n int) {
	o.mu.Lock()
	o.failGetOrch = n
	o.mu.Unlock()
}

// FailHTTP makes the next n HTTP requests whose path is exactly path answer
// status with a plain-text body, before any handler runs.
func (o *Orchestrator) FailHTTP(path string, n, status int) {
	o.mu.Lock()
	if n <= 0 {
		delete(o.httpFaults, path)
	} else {
		o.httpFaults[path] = httpFault{n: n, status: status}
	}
	o.mu.Unlock()
}

// GetOrchestratorCalls returns how many GetOrchestrator calls reached the orchestrator.
func (o *Orchestrator) GetOrchestratorCalls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.getOrch
}

// Close stops the orchestrator: its listener, every connection (held ones
// included) and every handler. It waits for them and is idempotent.
func (o *Orchestrator) Close() {
	o.closeOnce.Do(func() {
		o.mu.Lock()
		o.closing = true
		o.mu.Unlock()
		close(o.closed)
		_ = o.srv.Close()
		_ = o.ln.Close()
		<-o.serveDone
		o.reqs.Wait()
	})
}

func (o *Orchestrator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		http.Error(w, "orchestrator closed", http.StatusServiceUnavailable)
		return
	}
	o.reqs.Add(1)
	latency, bh := o.latency, o.blackholeCh
	o.mu.Unlock()
	defer o.reqs.Done()

	if bh != nil {
		select {
		case <-bh:
		case <-r.Context().Done():
			return
		case <-o.closed:
			return
		}
	}
	if !sleepCtx(r, o.closed, latency) {
		return
	}
	if strings.HasPrefix(r.URL.Path, o.rpcPrefix) {
		o.rpc.ServeHTTP(w, r)
		return
	}
	if status, ok := o.takeHTTPFault(r.URL.Path); ok {
		http.Error(w, fmt.Sprintf("livepeertest: injected failure (%d)", status), status)
		return
	}
	o.mux.ServeHTTP(w, r)
}

func (o *Orchestrator) takeHTTPFault(path string) (int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.httpFaults[path]
	if !ok {
		return 0, false
	}
	f.n--
	if f.n <= 0 {
		delete(o.httpFaults, path)
	} else {
		o.httpFaults[path] = f
	}
	return f.status, true
}

// sleepCtx waits d, or returns false early if the request or the server ends.
func sleepCtx(r *http.Request, closed <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-closed:
		return false
	}
}
