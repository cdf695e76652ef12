package discovery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// DefaultTimeout bounds one GetOrchestrator call when ClientOptions.Timeout
// is zero. go-livepeer's gateway waits 3 s per discovery round
// (getOrchestratorTimeoutLoop); the Python SDK uses a 5 s deadline.
const DefaultTimeout = 3 * time.Second

// ClientOptions configures a Client.
type ClientOptions struct {
	// Signer signs GetOrchestrator requests (POST /sign-orchestrator-info).
	// nil or an off-chain client sends unsigned requests, which only
	// off-chain orchestrators accept.
	Signer *signer.Client
	// Timeout bounds each GetOrchestrator call, connection included
	// (default DefaultTimeout). Negative is an error.
	Timeout time.Duration
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
}

// Client calls GetOrchestrator on orchestrators, over gRPC with TLS, the way
// go-livepeer's gateway does. It keeps one gRPC connection per orchestrator
// address for its lifetime; Close releases them. A Client is safe for
// concurrent use.
type Client struct {
	signer  *signer.Client
	timeout time.Duration
	log     *slog.Logger
	creds   credentials.TransportCredentials

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

// NewClient returns a Client. A negative timeout gives a *ConfigError.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.Timeout < 0 {
		return nil, &ConfigError{Field: "OrchestratorTimeout", Reason: "must not be negative"}
	}
	c := &Client{signer: opts.Signer, timeout: opts.Timeout, log: opts.Logger, conns: map[string]*grpc.ClientConn{}}
	if c.signer == nil {
		c.signer = signer.Offchain()
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// Orchestrators present self-signed certificates regenerated on every
	// restart; go-livepeer's gateway skips verification too (see the
	// package documentation for the trade-off).
	c.creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec
	return c, nil
}

// Timeout returns the per-orchestrator timeout in use.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Signer returns the signer client used to sign requests (never nil).
func (c *Client) Signer() *signer.Client { return c.signer }

// Close closes every gRPC connection and makes later calls fail with
// ErrClosed; calls in flight fail. It is idempotent and returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	conns := c.conns
	c.conns, c.closed = nil, true
	c.mu.Unlock()
	for _, cc := range conns {
		_ = cc.Close()
	}
	return nil
}

func (c *Client) conn(target string) (*grpc.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if cc := c.conns[target]; cc != nil {
		return cc, nil
	}
	cc, err := grpc.NewClient("passthrough:///"+target,
		grpc.WithTransportCredentials(c.creds),
		grpc.WithUserAgent("livepeer-go"),
	)
	if err != nil {
		return nil, err
	}
	c.conns[target] = cc
	return cc, nil
}

// sign returns the OrchestratorRequest address and signature.
func (c *Client) sign(ctx context.Context) (*signer.OrchInfoSig, error) {
	sig, err := c.signer.SignOrchestratorInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign GetOrchestrator request: %w", err)
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
// (errors.Is(err, ErrSignerUnavailable) when it is down), ctx.Err() wrapped
// when ctx ends, ErrClosed after Close, otherwise an *RPCError.
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

func (c *Client) getOrchestrator(ctx context.Context, addr string, want *Capability, sig *signer.OrchInfoSig) (*Info, error) {
	target, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	cc, err := c.conn(target)
	if err != nil {
		return nil, err
	}
	req := &lpnet.OrchestratorRequest{IgnoreCapacityCheck: true}
	if !sig.IsZero() {
		req.Address = sig.Address.Bytes()
		req.Sig = sig.Signature
	}
	if want != nil && want.ID != CapBYOC {
		req.Capabilities = want.Proto()
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	pb, err := lpnet.NewOrchestratorClient(cc).GetOrchestrator(callCtx, req)
	lat := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("GetOrchestrator %s: %w", addr, ctx.Err())
		}
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		e := newRPCError(addr, err)
		c.log.LogAttrs(ctx, slog.LevelDebug, "GetOrchestrator failed", slog.String("orchestrator", addr),
			slog.String("code", e.Code.String()), slog.Duration("latency", lat))
		return nil, e
	}
	info := NewInfo(addr, pb)
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
// failure, ctx ending or ErrClosed is returned as err (with no results);
// per-orchestrator failures are rejections.
func (c *Client) Query(ctx context.Context, addrs []string, want *Capability) (infos []*Info, rejections []Rejection, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, nil, ErrClosed
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := c.getOrchestrator(ctx, a, want, sig)
			results[i] = result{info, err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for i, r := range results {
		switch {
		case r.err == nil:
			infos = append(infos, r.info)
		case errors.Is(r.err, ErrClosed):
			return nil, nil, ErrClosed
		default:
			rejections = append(rejections, Rejection{Orchestrator: uniq[i], Err: r.err})
		}
	}
	return infos, rejections, nil
}
