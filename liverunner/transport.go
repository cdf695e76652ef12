package liverunner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// connTransport is the transport of a session's (or a single-shot
// runner's) requests: to the orchestrator that holds it, whose
// certificate is self-signed (not verified, as go-livepeer's gateway and
// the other transports of this SDK), with every connection it dials
// tracked so closeAll ends them all, hijacked WebSockets included.
//
// It speaks HTTP/2 when the orchestrator offers it (go-livepeer does) and
// HTTP/1.1 for WebSocket upgrades (net/http dials those HTTP/1.1-only;
// go-livepeer's proxy refuses an upgrade over HTTP/2). HTTP/2 for the rest
// is not only for connection reuse: go-livepeer's proxy (httputil.
// ReverseProxy without full duplex) truncates a streamed answer to a
// request with a body over HTTP/1.1 when the orchestrator's server closes
// the consumed request body before the proxy's transport finished
// checking it for EOF ("use of closed network connection" on the runner
// side); over HTTP/2 the server leaves the body alone.
type connTransport struct {
	*http.Transport
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

// newConnTransport returns the transport of requests to host
// ("scheme://host[:port]", the one host the session or single-shot
// runner allows). With pins, host's key is pinned on first use: the TLS
// configuration checks it for that one address, so the transport's own
// handshakes (HTTP/2, or HTTP/1.1 for WebSocket upgrades) keep working.
func newConnTransport(host string, pins orchtls.Store) *connTransport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // orchestrator certificates are self-signed
	if u, err := url.Parse(host); pins != nil && err == nil && u.Scheme == "https" {
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		}
		tr.TLSClientConfig = orchtls.Config(tr.TLSClientConfig, addr, pins)
	}
	tr.ForceAttemptHTTP2 = true
	tr.MaxIdleConnsPerHost = 64
	t := &connTransport{Transport: tr, conns: map[*trackedConn]struct{}{}}
	d := &net.Dialer{}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, t: t}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			c.Close()
			return nil, lperr.ErrClosed
		}
		t.conns[tc] = struct{}{}
		t.mu.Unlock()
		return tc, nil
	}
	return t
}

// orchTransport returns a transport to orchestrators (reservations,
// payments, stops, Scope starts), pinned when the Client has Pins.
func (c *Client) orchTransport() *http.Transport {
	tr := lphttp.NewOrchestratorTransport()
	orchtls.Apply(tr, c.pins)
	return tr
}

// closeAll closes every connection, idle or not, and refuses new ones.
func (t *connTransport) closeAll() {
	t.mu.Lock()
	t.closed = true
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	t.CloseIdleConnections()
	for _, c := range conns {
		_ = c.Close()
	}
}

type trackedConn struct {
	net.Conn
	t    *connTransport
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// sessionTransport is a Session's http.RoundTripper: requests to the
// session's orchestrator (the host of its app URL) go out on the session's
// connections and end when the session does; requests elsewhere are
// refused (the transport skips certificate verification, which is only
// right for the orchestrator).
type sessionTransport struct {
	s    *Session
	host string // scheme://host of the app URL
}

// RoundTrip sends req. It fails with an error wrapping livepeer.ErrClosed
// (or the session's end) once the session ended, and with a
// *livepeer.ConfigError for a URL on another host.
func (t *sessionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme+"://"+req.URL.Host != t.host {
		closeBody(req)
		return nil, &lperr.ConfigError{Field: "URL", Reason: fmt.Sprintf("%v is not on the session's orchestrator %s", req.URL, t.host)}
	}
	s := t.s
	if s.ctx.Err() != nil {
		closeBody(req)
		return nil, s.endErr()
	}
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(s.ctx, cancel)
	resp, err := s.tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		if s.ctx.Err() != nil && req.Context().Err() == nil {
			return nil, errors.Join(s.endErr(), err)
		}
		return nil, err
	}
	release := func() { stop(); cancel() }
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
		resp.Body = &releasingRWC{ReadWriteCloser: rwc, release: release}
	} else {
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// releasingBody frees the request's context when the body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// releasingRWC is releasingBody for a 101 Switching Protocols body, which
// WebSocket libraries use as the connection (io.ReadWriteCloser).
type releasingRWC struct {
	io.ReadWriteCloser
	release func()
	once    sync.Once
}

func (b *releasingRWC) Close() error {
	err := b.ReadWriteCloser.Close()
	b.once.Do(b.release)
	return err
}

// hostOf returns scheme://host of raw.
func hostOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// joinPath appends path to base with one "/" between them (an app URL
// without a trailing slash answers 307: always append "/{path}").
func joinPath(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}
