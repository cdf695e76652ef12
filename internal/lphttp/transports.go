package lphttp

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Transports is an http.RoundTripper that keeps one HTTP/1.1 transport
// (NewOrchestratorTransport) per orchestrator host, so that successive jobs
// to the same orchestrator reuse its kept-alive connections instead of a
// fresh TLS handshake each, and one orchestrator's connections can be
// dropped (Evict) without touching the others'. Idle connections close
// after the transport's IdleConnTimeout (90 s). Safe for concurrent use;
// Close it.
type Transports struct {
	// Configure, when set, is called on each host's new transport after its
	// dialer is set and before first use (e.g. orchtls.Apply for pinning).
	Configure func(*http.Transport)

	mu     sync.Mutex
	hosts  map[string]*hostTransport
	closed bool
}

type hostTransport struct {
	tr    *http.Transport
	conns *Conns
}

// NewTransports returns an empty Transports.
func NewTransports() *Transports {
	return &Transports{hosts: map[string]*hostTransport{}}
}

// RoundTrip sends req over the transport of req.URL.Host. After Close it
// fails with an error wrapping livepeer.ErrClosed.
func (t *Transports) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("orchestrator transport: %w", lperr.ErrClosed)
	}
	h := t.hosts[req.URL.Host]
	if h == nil {
		h = &hostTransport{tr: NewOrchestratorTransport(), conns: &Conns{}}
		h.tr.DialContext = h.conns.DialContext
		if t.Configure != nil {
			t.Configure(h.tr)
		}
		t.hosts[req.URL.Host] = h
	}
	t.mu.Unlock()
	return h.tr.RoundTrip(req)
}

// Evict drops host's ("127.0.0.1:8935") transport and closes its
// connections, busy or idle: for an orchestrator judged dead. It returns
// how many connections it closed. The next request to host dials afresh.
func (t *Transports) Evict(host string) int {
	t.mu.Lock()
	h := t.hosts[host]
	delete(t.hosts, host)
	t.mu.Unlock()
	if h == nil {
		return 0
	}
	h.tr.CloseIdleConnections()
	return h.conns.CloseAll()
}

// Open returns how many connections to host are open.
func (t *Transports) Open(host string) int {
	t.mu.Lock()
	h := t.hosts[host]
	t.mu.Unlock()
	if h == nil {
		return 0
	}
	return h.conns.Open()
}

// CloseIdleConnections closes the idle connections of every host.
func (t *Transports) CloseIdleConnections() {
	t.mu.Lock()
	all := make([]*hostTransport, 0, len(t.hosts))
	for _, h := range t.hosts {
		all = append(all, h)
	}
	t.mu.Unlock()
	for _, h := range all {
		h.tr.CloseIdleConnections()
	}
}

// Released tells t that a response body was closed: once t is closed, the
// connection it returned to the idle pool is closed too (so that nothing
// outlives Close but the responses still being read).
func (t *Transports) Released() {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		t.CloseIdleConnections()
	}
}

// Close makes later requests fail and closes the idle connections.
// Responses in flight (a job's answer, an event stream) keep their
// connections until their bodies are closed (then call Released).
// Idempotent.
func (t *Transports) Close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.CloseIdleConnections()
}
