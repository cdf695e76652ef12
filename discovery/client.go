package discovery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// DefaultTimeout bounds one GetOrchestrator call when ClientConfig.Timeout
// is zero. go-livepeer's gateway waits 3 s per discovery round
// (getOrchestratorTimeoutLoop); the Python SDK uses a 5 s deadline.
const DefaultTimeout = 3 * time.Second

// RequestSignature is what a GetOrchestrator request carries to identify
// the payer (go-livepeer's OrchestratorRequest.address and .sig): its
// address and its personal-sign signature over the EIP-55 address string.
// Off-chain both are empty.
type RequestSignature struct {
	Address   eth.Address
	Signature []byte
	Signer    string // base URL of the remote signer that made it; "" off-chain
}

// IsZero reports whether s carries no signature (off-chain).
func (s *RequestSignature) IsZero() bool { return s == nil || len(s.Signature) == 0 }

// RequestSigner signs GetOrchestrator requests. *signer.Client implements
// it (POST /sign-orchestrator-info); an implementation returning a zero
// RequestSignature sends unsigned requests, which only off-chain
// orchestrators accept.
type RequestSigner interface {
	SignOrchestratorInfo(ctx context.Context) (*RequestSignature, error)
}

// ClientConfig configures a Client. The zero value is valid: unsigned
// requests, DefaultTimeout, silent.
type ClientConfig struct {
	// Signer signs GetOrchestrator requests. nil sends unsigned requests.
	Signer RequestSigner
	// Timeout bounds each GetOrchestrator call, connection included
	// (default DefaultTimeout). Negative is an error.
	Timeout time.Duration
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
	// Pins, when set, pins each orchestrator's TLS key on first use
	// (orchtls.Apply); a changed key fails GetOrchestrator with an error
	// matching livepeer.ErrCertificateMismatch. nil: not verified.
	Pins orchtls.Store
}

// Client calls GetOrchestrator on orchestrators the way go-livepeer's
// gateway does: gRPC over HTTP/2 and TLS (spoken by connectrpc.com/connect
// over net/http). Each orchestrator gets a transport of its own, whose
// connection is reused for the Client's lifetime; a call that fails at the
// transport level (timeout, refused or broken connection) closes that
// orchestrator's connections, so none to a dead orchestrator stays open, and
// an HTTP/2 health check (a ping after 30 s of silence, 10 s to answer) drops
// a connection that dies while idle. Close releases them all. A Client is
// safe for concurrent use.
type Client struct {
	signer  RequestSigner
	pins    orchtls.Store // nil: no pinning
	timeout time.Duration
	log     *slog.Logger

	life   context.Context // cancelled by Close: calls in flight fail
	cancel context.CancelFunc

	mu      sync.Mutex
	clients map[string]*orchConn
	closed  bool
}

// orchConn is one orchestrator's transport and gRPC client.
type orchConn struct {
	tr    *http.Transport
	conns *lphttp.Conns
	rpc   *lpnet.OrchestratorClient
}

// NewClient returns a Client. A negative timeout gives a *livepeer.ConfigError
// ( errors.Is(err, livepeer.ErrInvalidConfig)).
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Timeout < 0 {
		return nil, &lperr.ConfigError{Field: "OrchestratorTimeout", Reason: "must not be negative"}
	}
	c := &Client{signer: cfg.Signer, pins: cfg.Pins, timeout: cfg.Timeout, log: cfg.Logger, clients: map[string]*orchConn{}}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.life, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// newOrchConn returns a transport and gRPC client for target (host:port).
// Orchestrators present self-signed certificates regenerated on every
// restart; go-livepeer's gateway skips verification too (see the package
// documentation for the trade-off). gRPC needs HTTP/2.
func newOrchConn(target string, pins orchtls.Store) *orchConn {
	oc := &orchConn{conns: &lphttp.Conns{}}
	oc.tr = &http.Transport{
		DialContext:         oc.conns.DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 0, // bounded by the call's deadline
		HTTP2:               &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 10 * time.Second},
	}
	var p http.Protocols
	p.SetHTTP2(true)
	oc.tr.Protocols = &p
	orchtls.Apply(oc.tr, pins)
	oc.rpc = lpnet.NewOrchestratorClient(&http.Client{Transport: oc.tr}, "https://"+target, "livepeer-go-gateway")
	return oc
}

// Timeout returns the per-orchestrator timeout in use.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Close closes every connection and makes later calls fail with
// livepeer.ErrClosed; calls in flight fail too. It is idempotent and
// returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	all := c.clients
	c.clients = nil
	c.mu.Unlock()
	c.cancel()
	for _, oc := range all {
		oc.tr.CloseIdleConnections()
		oc.conns.CloseAll()
	}
	return nil
}

func (c *Client) rpc(target string) (*lpnet.OrchestratorClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, lperr.ErrClosed
	}
	if oc := c.clients[target]; oc != nil {
		return oc.rpc, nil
	}
	oc := newOrchConn(target, c.pins)
	c.clients[target] = oc
	return oc.rpc, nil
}

// Forget drops the transport of the orchestrator at addr and closes its
// connections, busy or idle (calls in flight to it fail). It reports how
// many connections it closed. The next call to addr connects afresh. The
// Pool calls it for orchestrators that stop answering or leave the list.
func (c *Client) Forget(addr string) int {
	target, err := ParseAddress(addr)
	if err != nil {
		return 0
	}
	c.mu.Lock()
	oc := c.clients[target]
	delete(c.clients, target)
	c.mu.Unlock()
	if oc == nil {
		return 0
	}
	oc.tr.CloseIdleConnections()
	return oc.conns.CloseAll()
}

// OpenConnections returns how many connections to the orchestrator at
// addr are open.
func (c *Client) OpenConnections(addr string) int {
	target, err := ParseAddress(addr)
	if err != nil {
		return 0
	}
	c.mu.Lock()
	oc := c.clients[target]
	c.mu.Unlock()
	if oc == nil {
		return 0
	}
	return oc.conns.Open()
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// sign returns the OrchestratorRequest address and signature.
func (c *Client) sign(ctx context.Context) (*RequestSignature, error) {
	if c.signer == nil {
		return &RequestSignature{}, nil
	}
	sig, err := c.signer.SignOrchestratorInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("discovery: sign GetOrchestrator request: %w", err)
	}
	return sig, nil
}

// GetOrchestrator asks the orchestrator at addr for its OrchestratorInfo.
// The request carries the signer's address and signature (empty
// off-chain), ignoreCapacityCheck = true (as the Python SDK: capacity
// errors surface when the job starts) and, when want is a non-BYOC
// capability, want's capabilities message, so the orchestrator prices that
// capability. BYOC capabilities are not sent (go-livepeer master advertises
// them only in capabilities_prices, which it fills only for requests without
// capabilities). The call is bounded by the Client's timeout and ctx.
//
// Errors: *AddressError for a bad address, the signer's error
// (errors.Is(err, livepeer.ErrSignerUnavailable) when it is down),
// ctx.Err() wrapped when ctx ends, livepeer.ErrClosed after Close,
// otherwise an *RPCError.
func (c *Client) GetOrchestrator(ctx context.Context, addr string, want *Capability) (*Info, error) {
	if _, err := ParseAddress(addr); err != nil {
		return nil, err
	}
	sig, err := c.sign(ctx)
	if err != nil {
		return nil, err
	}
	return c.getOrchestrator(ctx, addr, want, sig)
}

func (c *Client) getOrchestrator(ctx context.Context, addr string, want *Capability, sig *RequestSignature) (*Info, error) {
	target, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	oc, err := c.rpc(target)
	if err != nil {
		return nil, err
	}
	req := &lpnet.OrchestratorRequest{IgnoreCapacityCheck: true}
	if !sig.IsZero() {
		req.Address = sig.Address.Bytes()
		req.Sig = sig.Signature
	}
	if want != nil && want.ID != CapBYOC {
		req.Capabilities = lpnet.CapabilitiesFor(int32(want.ID), want.Model)
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	stop := context.AfterFunc(c.life, cancel)
	defer stop()
	start := time.Now()
	pb, err := oc.GetOrchestrator(callCtx, req)
	lat := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("discovery: GetOrchestrator %s: %w", addr, ctx.Err())
		}
		if c.isClosed() {
			return nil, lperr.ErrClosed
		}
		e := newRPCError(addr, err)
		if e.transportFailure() {
			c.Forget(addr)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "GetOrchestrator failed", slog.String("orchestrator", addr),
			slog.String("code", e.Code.String()), slog.Duration("latency", lat))
		return nil, e
	}
	info := newInfo(addr, pb)
	if want != nil {
		w := *want
		info.Requested = &w
	}
	info.Latency = lat
	info.FetchedAt = time.Now()
	c.log.LogAttrs(ctx, slog.LevelDebug, "GetOrchestrator", slog.String("orchestrator", addr),
		slog.String("transcoder", info.Transcoder), slog.Duration("latency", lat))
	return info, nil
}

// Query calls GetOrchestrator on every address concurrently, each bounded
// by the Client's timeout, and returns when all have answered or timed out:
// a black-holed orchestrator costs no more than the timeout. Duplicate
// addresses are queried once. infos and rejections keep the order of addrs.
// The request is signed once, before any orchestrator is called: a signer
// failure, ctx ending or livepeer.ErrClosed is returned as err (with no
// results); per-orchestrator failures are rejections.
func (c *Client) Query(ctx context.Context, addrs []string, want *Capability) (infos []*Info, rejections []Rejection, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if c.isClosed() {
		return nil, nil, lperr.ErrClosed
	}
	sig, err := c.sign(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen := make(map[string]bool, len(addrs))
	uniq := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if !seen[a] {
			seen[a] = true
			uniq = append(uniq, a)
		}
	}
	type result struct {
		info *Info
		err  error
	}
	results := make([]result, len(uniq))
	var wg sync.WaitGroup
	for i, a := range uniq {
		wg.Go(func() {
			info, err := c.getOrchestrator(ctx, a, want, sig)
			results[i] = result{info, err}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for i, r := range results {
		switch {
		case r.err == nil:
			infos = append(infos, r.info)
		case errors.Is(r.err, lperr.ErrClosed):
			return nil, nil, lperr.ErrClosed
		default:
			rejections = append(rejections, Rejection{Orchestrator: uniq[i], Err: r.err})
		}
	}
	return infos, rejections, nil
}
