package lphttp

import (
	"context"
	"net"
	"sync"
	"time"
)

// Conns dials TCP connections and remembers the ones still open, so that
// they can all be closed at once (CloseAll) when their peer is judged dead:
// http.Transport.CloseIdleConnections closes only idle connections, and a
// connection whose request was just abandoned may not be idle yet. Safe for
// concurrent use; the zero value is ready.
type Conns struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

// DialContext dials like net.Dialer (30 s connect timeout, 30 s keep-alive)
// and tracks the connection until it is closed. Use it as
// http.Transport.DialContext.
func (c *Conns) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: nc, owner: c}
	c.mu.Lock()
	if c.conns == nil {
		c.conns = map[*trackedConn]struct{}{}
	}
	c.conns[tc] = struct{}{}
	c.mu.Unlock()
	return tc, nil
}

// CloseAll closes every open connection dialled by c, busy or idle; their
// requests in flight fail. It returns how many it closed.
func (c *Conns) CloseAll() int {
	c.mu.Lock()
	all := make([]*trackedConn, 0, len(c.conns))
	for tc := range c.conns {
		all = append(all, tc)
	}
	c.mu.Unlock()
	for _, tc := range all {
		_ = tc.Close()
	}
	return len(all)
}

// Open returns how many connections dialled by c are still open.
func (c *Conns) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns)
}

type trackedConn struct {
	net.Conn
	owner *Conns
	once  sync.Once
}

func (tc *trackedConn) Close() error {
	err := tc.Conn.Close()
	tc.once.Do(func() {
		tc.owner.mu.Lock()
		delete(tc.owner.conns, tc)
		tc.owner.mu.Unlock()
	})
	return err
}
