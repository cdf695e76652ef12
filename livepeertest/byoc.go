package livepeertest

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// defaultBYOCDebitInterval is how often go-livepeer debits a BYOC job that
// answers server-sent events (5 s of compute every 5 s).
const defaultBYOCDebitInterval = 5 * time.Second

// byocSSEDebitSeconds is what each SSE debit charges, whatever the interval
// (go-livepeer: DebitFees(..., 5)).
const byocSSEDebitSeconds = 5

// BYOCConfig configures [EnableBYOC]. The zero value behaves like go-livepeer
// master.
type BYOCConfig struct {
	// Secret is the orchestrator secret workers send, raw, in the
	// Authorization header of /capability/register and /capability/unregister;
	// "" generates one (see BYOCServer.Secret).
	Secret string
	// DebitInterval is how often a job answering server-sent events is
	// debited 5 s of compute (default 5 s, as go-livepeer). Tests
	// shorten it to exhaust a balance quickly.
	DebitInterval time.Duration
	// NoBlankLinesAfterDone turns off the emulation of go-livepeer's relay
	// bug: after the worker's "[DONE]" master keeps writing "\n" until the
	// job's timeout_seconds or until the client disconnects. On by default,
	// so clients are tested against it.
	NoBlankLinesAfterDone bool
}

// BYOCServer adds go-livepeer's BYOC job routes to an [Orchestrator]:
// GET /process/token, POST /process/request/{path...},
// POST /capability/register and POST /capability/unregister. Workers are
// plain HTTP servers (see package livepeertest/worker) registered under a
// BYOC capability the orchestrator declares: the capability's price is the
// orchestrator's CapabilitySpec "byoc/<name>" price (the one advertised in
// capabilities_prices), 0 off-chain; a registration's own price fields are
// ignored and a name the orchestrator does not declare is refused (400).
// Capacity is the registration's, as in go-livepeer. All methods are safe
// for concurrent use.
type BYOCServer struct {
	o      *Orchestrator
	cfg    BYOCConfig
	secret string
	hc     *http.Client

	mu        sync.Mutex
	workers   map[string]*byocWorker
	served    []*http.Server // worker servers started by ServeWorker
	closed    bool
	jobs      int // jobs forwarded to a worker
	rejected  map[int]int
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type byocWorker struct {
	cap  byocwire.ExternalCapability
	load int
}

// EnableBYOC mounts the BYOC routes on o and returns the server. Call Close
// to stop the worker servers it started and wait for jobs in flight. It
// panics, like http.ServeMux, if the routes are already registered on o.
func EnableBYOC(o *Orchestrator, cfg BYOCConfig) *BYOCServer {
	if cfg.DebitInterval <= 0 {
		cfg.DebitInterval = defaultBYOCDebitInterval
	}
	s := &BYOCServer{o: o, cfg: cfg, secret: cfg.Secret, workers: map[string]*byocWorker{}, rejected: map[int]int{}}
	if s.secret == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		s.secret = hex.EncodeToString(b)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // workers may use self-signed certificates
	s.hc = &http.Client{Transport: tr}
	o.handle("GET /process/token", http.HandlerFunc(s.handleToken))
	o.handle("POST /process/request/", http.HandlerFunc(s.handleRequest))
	o.handle("POST /process/request", http.HandlerFunc(s.handleRequest))
	o.handle("POST /capability/register", http.HandlerFunc(s.handleRegister))
	o.handle("POST /capability/unregister", http.HandlerFunc(s.handleUnregister))
	return s
}

// Secret returns the orchestrator secret for /capability/register.
func (s *BYOCServer) Secret() string { return s.secret }

// Register registers (or replaces) a worker for capability name at url,
// as POST /capability/register does; capacity 0 means 1. token, when set,
// is sent to the worker as "Authorization: Bearer <token>". It returns an
// error when the orchestrator declares no "byoc/<name>" capability or the
// server is closed.
func (s *BYOCServer) Register(name, url string, capacity int, token string) error {
	return s.register(byocwire.ExternalCapability{Name: name, URL: url, Capacity: capacity, Token: token})
}

func (s *BYOCServer) register(c byocwire.ExternalCapability) error {
	if _, ok := s.o.capabilityPrice("byoc/" + c.Name); !ok {
		return fmt.Errorf("livepeertest: capability %q is not declared: add CapabilitySpec{Name: \"byoc/%s\"} to the orchestrator's Capabilities: %w", c.Name, c.Name, lperr.ErrInvalidConfig)
	}
	if c.URL == "" {
		return fmt.Errorf("livepeertest: capability %q has no url: %w", c.Name, lperr.ErrInvalidConfig)
	}
	if c.Capacity <= 0 {
		c.Capacity = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("livepeertest: BYOC server: %w", lperr.ErrClosed)
	}
	s.workers[c.Name] = &byocWorker{cap: c} // replacing resets the load, as in go-livepeer
	return nil
}

// Unregister removes the worker of capability name; false if none.
func (s *BYOCServer) Unregister(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.workers[name]
	delete(s.workers, name)
	return ok
}

// Registered reports whether capability name has a worker.
func (s *BYOCServer) registered(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.workers[name] != nil
}

// ServeWorker starts h on a 127.0.0.1 port and registers it for capability
// name with the given capacity (0 means 1). It returns the worker's URL.
// Close stops the worker server.
func (s *BYOCServer) ServeWorker(name string, capacity int, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	url := "http://" + l.Addr().String()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = l.Close()
		return "", fmt.Errorf("livepeertest: BYOC server: %w", lperr.ErrClosed)
	}
	s.served = append(s.served, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(l)
	}()
	s.mu.Unlock()
	if err := s.Register(name, url, capacity, ""); err != nil {
		return "", err
	}
	return url, nil
}

// Jobs returns how many jobs were forwarded to a worker.
func (s *BYOCServer) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs
}

// Rejected returns how many job requests were refused with status before
// reaching a worker (400 bad credentials or balance, 503 no capacity).
func (s *BYOCServer) rejectedCount(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[status]
}

// Close stops the worker servers started by ServeWorker, refuses new jobs
// and waits for the jobs in flight. Idempotent.
func (s *BYOCServer) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		served := s.served
		s.mu.Unlock()
		for _, srv := range served {
			_ = srv.Close()
		}
		s.hc.CloseIdleConnections()
		s.wg.Wait()
	})
	return nil
}

// capabilityPrice is go-livepeer's JobPriceInfo: 0 off-chain, else the
// declared price; false for a capability the orchestrator does not declare.
func (s *BYOCServer) capabilityPrice(name string) (*big.Rat, bool) {
	if s.o.isOffchain() {
		return new(big.Rat), true
	}
	return s.o.capabilityPrice("byoc/" + name)
}

// reserve takes one unit of a registered worker's capacity.
func (s *BYOCServer) reserve(name string) (*byocWorker, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.workers[name]
	if w == nil || s.closed || w.load >= w.cap.Capacity {
		return nil, false
	}
	w.load++
	return w, true
}

func (s *BYOCServer) free(w *byocWorker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.load > 0 {
		w.load--
	}
}

// available is capacity minus load (0 for an unregistered capability).
func (s *BYOCServer) available(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.workers[name]
	if w == nil {
		return 0
	}
	return int64(max(w.cap.Capacity-w.load, 0))
}

func (s *BYOCServer) reject(w http.ResponseWriter, status int, msg string) {
	s.mu.Lock()
	s.rejected[status]++
	s.mu.Unlock()
	http.Error(w, msg, status)
}

func (s *BYOCServer) handleRegister(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != s.secret {
		http.Error(w, "invalid authorization", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "Error reading request body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	c, err := byocwire.DecodeExternalCapability(body)
	if err == nil {
		err = s.register(*c)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "Error registering capability: %v", err)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

func (s *BYOCServer) handleUnregister(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != s.secret {
		http.Error(w, "invalid authorization", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "Error reading request body", http.StatusBadRequest)
		return
	}
	if !s.Unregister(strings.TrimSpace(string(body))) {
		http.Error(w, "Error removing capability: capability not found", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "ok")
}

// handleToken serves GET /process/token (go-livepeer GetJobToken).
func (s *BYOCServer) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(lphttp.HeaderEthAddress) == "" {
		http.Error(w, "Must have eth address and signature on address in Livepeer-Eth-Address header", http.StatusBadRequest)
		return
	}
	sender, err := byocwire.ParseEthAddressHeader(r.Header.Get(lphttp.HeaderEthAddress), s.o.isOffchain())
	if err != nil {
		http.Error(w, "Invalid eth address header ", http.StatusBadRequest)
		return
	}
	name := r.Header.Get(lphttp.HeaderCapability)
	if name == "" {
		http.Error(w, "Job capabilities not provided, must provide comma separated capabilities in Livepeer-Capability header", http.StatusBadRequest)
		return
	}
	price, ok := s.capabilityPrice(name)
	if !ok {
		http.Error(w, fmt.Sprintf("Could not get price err=capability %s not found", name), http.StatusBadRequest)
		return
	}
	addr := hexAddress(sender.Addr)
	tok := byocwire.JobToken{
		SenderAddress:     sender,
		TicketParams:      s.o.ticketParams(addr, price),
		Balance:           s.o.Balance(addr, name).Int64(),
		Price:             priceInfo(price),
		ServiceAddr:       s.o.URL(),
		AvailableCapacity: s.available(name),
	}
	writeJSON(w, tok)
}
