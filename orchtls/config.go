package orchtls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ErrProxied is the handshake error of a pinned connection that an
// http.Transport made through a proxy: there the dialled address is not
// known, so the pin cannot be checked, and the connection is refused
// rather than left unchecked. Pinning needs direct connections.
var ErrProxied = errors.New("orchtls: certificate pinning needs a direct connection to the orchestrator (not through a proxy)")

// Config returns the TLS configuration of a connection to the
// orchestrator at addr ("host:port"), built on a clone of base (nil: an
// empty one): the certificate chain is not verified (self-signed, as
// go-livepeer's gateway does), TLS 1.2 at least unless base says more,
// and, when store is non-nil, VerifyConnection checks the presented key
// against addr's pin, pinning it on first use: a different key fails the
// handshake with a *MismatchError, a store error with that error. base's
// VerifyConnection is replaced.
func Config(base *tls.Config, addr string, store Store) *tls.Config {
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{}
	}
	c.InsecureSkipVerify = true //nolint:gosec // self-signed orchestrator certificates; the pin (when a store is set) authenticates
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	c.VerifyConnection = nil
	if store == nil {
		return c
	}
	key := Key(addr)
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("orchtls: orchestrator %s presented no certificate to pin", key)
		}
		got := PinOf(cs.PeerCertificates[0])
		want, err := store.LoadOrStore(key, got)
		if err != nil {
			return fmt.Errorf("orchtls: pin store for %s: %w", key, err)
		}
		if want != got {
			return &MismatchError{Addr: key, Pinned: want, Presented: got}
		}
		return nil
	}
	return c
}

// DialTLSContext returns a function for http.Transport.DialTLSContext: it
// connects with dial (nil: a net.Dialer with a 30 s timeout) and
// handshakes with Config(base(), addr, store), within handshakeTimeout
// when positive and always within ctx. base is read at every dial, so it
// sees what the transport adds to its configuration (ALPN "h2").
func DialTLSContext(base func() *tls.Config, store Store, dial func(ctx context.Context, network, addr string) (net.Conn, error), handshakeTimeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := Config(base(), addr, store)
		if cfg.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				cfg.ServerName = host // SNI (not sent for IP addresses)
			}
		}
		hctx := ctx
		if handshakeTimeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, handshakeTimeout)
			defer cancel()
		}
		conn := tls.Client(raw, cfg)
		if err := conn.HandshakeContext(hctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return conn, nil
	}
}

// Apply makes tr pin orchestrator certificates in store: its TLS
// connections are dialled by DialTLSContext (with tr's DialContext, its
// TLSHandshakeTimeout and its TLSClientConfig as the base), and the
// connections tr would make itself (through a proxy) fail with
// ErrProxied. A nil store leaves tr as it is (no pinning). Call Apply
// before tr is used.
func Apply(tr *http.Transport, store Store) {
	if store == nil {
		return
	}
	base := tr.TLSClientConfig
	if base == nil {
		base = &tls.Config{}
	}
	refuse := Config(base, "", nil)
	refuse.VerifyConnection = func(tls.ConnectionState) error { return ErrProxied }
	tr.TLSClientConfig = refuse
	tr.DialTLSContext = DialTLSContext(func() *tls.Config { return tr.TLSClientConfig }, store, tr.DialContext, tr.TLSHandshakeTimeout)
}
