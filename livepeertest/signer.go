package livepeertest

import (
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Signer defaults (go-livepeer -maxTicketEV / -maxTotalEV defaults).
var (
	defaultMaxTicketEV = big.NewInt(3_000_000_000_000)
	defaultMaxTotalEV  = big.NewInt(20_000_000_000_000)
)

// signerConfig configures newSigner. The zero value is a valid signer with a
// generated key and an unlimited budget.
type signerConfig struct {
	// Key is the payer's Ethereum key; nil generates one.
	Key *ecdsa.PrivateKey
	// Balance is the payer's budget in wei of committed ticket EV; nil is unlimited.
	// A payment that would push Spent past it is refused with 483.
	Balance *big.Int
	// MaxPricePerUnit is the configured price ceiling in wei per unit (per pixel
	// for lv2v), like go-livepeer's -maxPricePerUnit; nil means none.
	MaxPricePerUnit *big.Rat
	// MaxTicketEV and MaxTotalEV bound one ticket's EV and one batch's EV in
	// wei; nil means defaultMaxTicketEV / defaultMaxTotalEV.
	MaxTicketEV, MaxTotalEV *big.Int
	// Clock is the block clock used to tell expired ticket params; nil makes one at block 100.
	Clock *blockClock
	// Orchestrators feeds GET /discover-orchestrators; nil answers 503 there.
	Orchestrators func() []discoveryEntry
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Auth, when set, makes every route demand a live bearer token it issued.
	Auth *tokenIssuer
	// Port is the loopback port to listen on; 0 lets the system pick (ports.go).
	Port int
}

// Signer is an in-process go-livepeer remote signer (plain HTTP):
// POST /sign-orchestrator-info, POST /generate-live-payment and
// GET /discover-orchestrators. All methods are safe for concurrent use.
type Signer struct {
	log        *slog.Logger
	key        *ecdsa.PrivateKey
	address    eth.Address
	orchSig    []byte
	budget     *big.Int
	maxPrice   *big.Rat
	maxEV      *big.Rat
	maxTotalEV *big.Rat
	clock      *blockClock
	auth       *tokenIssuer

	ln        net.Listener
	srv       *http.Server
	url       string
	serveDone chan struct{}
	closed    chan struct{}
	closeOnce sync.Once

	mu           sync.Mutex
	reqs         sync.WaitGroup
	closing      bool
	down         bool
	latency      time.Duration
	faults       map[string]httpFault
	calls        map[string]int
	refused      map[int]int // /generate-live-payment refusals by status (signer_refusals.go)
	unauthorized int         // calls answered 401 for a missing, unknown or expired token
	spent        *big.Rat
	batches      []BatchPayment
}

// newSigner starts a signer on a random 127.0.0.1 port. It returns an error if
// the key cannot be generated or the port cannot be opened. Call Close to stop it.
func newSigner(cfg signerConfig) (*Signer, error) {
	s := &Signer{
		log:        cfg.Logger,
		key:        cfg.Key,
		maxPrice:   cfg.MaxPricePerUnit,
		clock:      cfg.Clock,
		auth:       cfg.Auth,
		serveDone:  make(chan struct{}),
		closed:     make(chan struct{}),
		faults:     map[string]httpFault{},
		calls:      map[string]int{},
		refused:    map[int]int{},
		spent:      new(big.Rat),
		maxEV:      new(big.Rat).SetInt(defaultMaxTicketEV),
		maxTotalEV: new(big.Rat).SetInt(defaultMaxTotalEV),
	}
	if cfg.Balance != nil {
		if cfg.Balance.Sign() < 0 {
			return nil, fmt.Errorf("livepeertest: signerConfig.Balance is negative: %w", lperr.ErrInvalidConfig)
		}
		s.budget = new(big.Int).Set(cfg.Balance)
	}
	if cfg.MaxTicketEV != nil {
		s.maxEV.SetInt(cfg.MaxTicketEV)
	}
	if cfg.MaxTotalEV != nil {
		s.maxTotalEV.SetInt(cfg.MaxTotalEV)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = newBlockClock(100)
	}
	var err error
	if s.key == nil {
		if s.key, err = eth.GenerateKey(); err != nil {
			return nil, err
		}
	}
	s.address = eth.KeyAddress(s.key)
	// go-livepeer signs the orchestrator-info message once at start-up.
	if s.orchSig, err = signOrchRequest(s.key); err != nil {
		return nil, err
	}
	list := cfg.Orchestrators
	if list == nil {
		list = func() []discoveryEntry { return nil }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sign-orchestrator-info", s.handleSignOrchInfo)
	mux.HandleFunc("POST /generate-live-payment", s.handleGenerateLivePayment)
	mux.HandleFunc("POST /sign-byoc-job", s.handleSignBYOCJob) // byoc_signer.go
	mux.Handle("GET /discover-orchestrators", discoveryHandler(list))
	s.ln, err = listenLoopback(cfg.Port)
	if err != nil {
		return nil, err
	}
	s.url = "http://" + s.ln.Addr().String()
	s.srv = &http.Server{Handler: s.wrap(mux), ReadHeaderTimeout: 30 * time.Second, ErrorLog: slogToLog(s.log)}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(s.ln)
	}()
	s.log.Debug("livepeertest: signer started", "url", s.url, "address", s.address.Hex())
	return s, nil
}

// URL returns "http://127.0.0.1:port".
func (s *Signer) URL() string { return s.url }

// Address returns the payer's Ethereum address (the ticket sender).
func (s *Signer) Address() eth.Address { return s.address }

// SetDown makes every route answer 503 {"error":{"message":"Service Unavailable Error"}}
// (the port stays open) until SetDown(false).
func (s *Signer) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// SetLatency delays every request by d.
func (s *Signer) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// FailNext makes the next n requests to path ("" for any path) answer status
// with go-livepeer's JSON error envelope.
func (s *Signer) FailNext(path string, n, status int) {
	s.mu.Lock()
	if n <= 0 {
		delete(s.faults, path)
	} else {
		s.faults[path] = httpFault{n: n, status: status}
	}
	s.mu.Unlock()
}

// Spent returns the ticket EV committed so far, in wei (rounded down).
func (s *Signer) Spent() *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ratFloor(s.spent)
}

// SetBalance replaces the signer's budget in wei of committed ticket EV
// (nil: unlimited), for example to run a payer out of credit mid-session.
// What was spent so far is kept.
func (s *Signer) SetBalance(b *big.Int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b == nil {
		s.budget = nil
		return
	}
	s.budget = new(big.Int).Set(b)
}

// Calls returns how many requests arrived for path (every outcome counts).
func (s *Signer) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Unauthorized returns how many calls were refused with 401 for a missing,
// unknown or expired bearer token (NetworkConfig.SignerAuth).
func (s *Signer) Unauthorized() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unauthorized
}

// Close stops the signer and waits for its handlers; idempotent.
func (s *Signer) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		close(s.closed)
		_ = s.srv.Close()
		<-s.serveDone
		s.reqs.Wait()
	})
}

func (s *Signer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			writeJSONError(w, http.StatusServiceUnavailable, "closed")
			return
		}
		s.reqs.Add(1)
		defer s.reqs.Done()
		s.calls[r.URL.Path]++
		if s.auth != nil && !s.auth.valid(r.Header.Get("Authorization")) {
			s.unauthorized++
			s.mu.Unlock()
			writeJSONError(w, http.StatusUnauthorized, "invalid or expired signer token")
			return
		}
		down, latency := s.down, s.latency
		status, fail := s.takeFaultLocked(r.URL.Path)
		s.mu.Unlock()
		if !sleepCtx(r, s.closed, latency) {
			return
		}
		switch {
		case down:
			writeJSONError(w, http.StatusServiceUnavailable, "signer down")
		case fail:
			writeJSONError(w, status, "livepeertest: injected failure")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Signer) takeFaultLocked(path string) (int, bool) {
	for _, p := range []string{path, ""} {
		if f, ok := s.faults[p]; ok {
			f.n--
			if f.n <= 0 {
				delete(s.faults, p)
			} else {
				s.faults[p] = f
			}
			return f.status, true
		}
	}
	return 0, false
}

// handleSignOrchInfo answers {"address": EIP-55, "signature": 0x + 65 bytes hex}.
func (s *Signer) handleSignOrchInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]string{
		"address":   s.address.Hex(),
		"signature": "0x" + hex.EncodeToString(s.orchSig),
	})
}
