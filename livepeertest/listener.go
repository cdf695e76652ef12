package livepeertest

import (
	"net"
	"sync"
	"sync/atomic"
)

// holdListener passes accepted connections on, except in black-hole mode, where
// it keeps them open and silent (no TLS handshake, no bytes) until black-hole
// mode ends or the listener closes; then it closes them.
type holdListener struct {
	net.Listener

	accepted atomic.Int64 // every TCP connection accepted, held ones included

	mu        sync.Mutex
	blackhole bool
	closed    bool
	held      map[net.Conn]struct{}
}

func newHoldListener(l net.Listener) *holdListener {
	return &holdListener{Listener: l, held: map[net.Conn]struct{}{}}
}

func (l *holdListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.accepted.Add(1)
		l.mu.Lock()
		if l.blackhole || l.closed {
			l.held[c] = struct{}{}
			if l.closed {
				delete(l.held, c)
				_ = c.Close()
			}
			l.mu.Unlock()
			continue
		}
		l.mu.Unlock()
		return c, nil
	}
}

// setBlackhole switches black-hole mode; turning it off drops the held connections.
func (l *holdListener) setBlackhole(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blackhole = on
	if !on {
		l.dropLocked()
	}
}

func (l *holdListener) dropLocked() {
	for c := range l.held {
		_ = c.Close()
		delete(l.held, c)
	}
}

func (l *holdListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.dropLocked()
	l.mu.Unlock()
	return l.Listener.Close()
}
