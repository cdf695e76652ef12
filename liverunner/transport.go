package liverunner

import (
	"context"
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
)

// connTransport is an HTTP/1.1 transport to orchestrators (self-signed
// certificates, lphttp.NewOrchestratorTransport) that tracks every
// connection it dials, so closeAll ends them all, hijacked WebSockets
// included. HTTP/1.1 because go-livepeer's proxy passes a WebSocket
// upgrade through over HTTP/1.1 only (an Upgrade over HTTP/2 gets 400);
// connections are kept alive and reused between requests.
type connTransport struct {
	*http.Transport
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func newConnTransport() *connTransport {
	t := &connTransport{Transport: lphttp.NewOrchestratorTransport(), conns: map[*trackedConn]struct{}{}}
	t.MaxIdleConnsPerHost = 64
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
