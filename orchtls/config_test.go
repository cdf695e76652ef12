package orchtls

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// newCert makes a self-signed certificate with a fresh key, as go-livepeer
// does at every start.
func newCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// orchServer is an HTTPS server whose certificate can be replaced (an
// orchestrator restart), serving HTTP/1.1 and HTTP/2.
type orchServer struct {
	*httptest.Server
	cert atomic.Pointer[tls.Certificate]
}

func newOrchServer(t *testing.T) *orchServer {
	t.Helper()
	s := &orchServer{}
	c := newCert(t)
	s.cert.Store(&c)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	s.EnableHTTP2 = true
	s.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return &tls.Config{Certificates: []tls.Certificate{*s.cert.Load()}, NextProtos: []string{"h2", "http/1.1"}}, nil
	}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *orchServer) addr() string { u, _ := url.Parse(s.URL); return u.Host }
func (s *orchServer) pin() Pin     { return PinOf(s.cert.Load().Leaf) }
func (s *orchServer) restart(t *testing.T) {
	c := newCert(t)
	s.cert.Store(&c)
}

// h1Transport is like the SDK's orchestrator HTTP transport (HTTP/1.1 only).
func h1Transport(store Store) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	Apply(tr, store)
	return tr
}

// h2Transport is like package discovery's GetOrchestrator transport.
func h2Transport(store Store) *http.Transport {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true} //nolint:gosec // test
	var p http.Protocols
	p.SetHTTP2(true)
	tr.Protocols = &p
	Apply(tr, store)
	return tr
}

func get(tr *http.Transport, u string) (string, error) {
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestPinnedOnFirstUseThenChecked(t *testing.T) {
	for name, mk := range map[string]func(Store) *http.Transport{"HTTP/1.1": h1Transport, "HTTP/2.0": h2Transport} {
		t.Run(name, func(t *testing.T) {
			s := newOrchServer(t)
			store := NewMemoryStore()
			proto, err := get(mk(store), s.URL)
			require.NoError(t, err)
			assert.Equal(t, name, proto, "the transport's protocol is kept")
			p, ok := store.Load(s.addr())
			require.True(t, ok, "first use pins")
			assert.Equal(t, s.pin(), p)

			_, err = get(mk(store), s.URL)
			require.NoError(t, err, "the same key passes")

			old := s.pin()
			s.restart(t) // a new key at the same address
			_, err = get(mk(store), s.URL)
			require.Error(t, err)
			require.ErrorIs(t, err, lperr.ErrCertificateMismatch)
			var me *MismatchError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, s.addr(), me.Addr)
			assert.Equal(t, old, me.Pinned)
			assert.Equal(t, s.pin(), me.Presented)
			assert.Contains(t, err.Error(), s.addr())

			require.NoError(t, store.Delete(s.addr()))
			_, err = get(mk(store), s.URL)
			require.NoError(t, err, "after Delete the new key is pinned")
			p, _ = store.Load(s.addr())
			assert.Equal(t, s.pin(), p)
		})
	}
}

func TestNoStoreIsGoLivepeersBehaviour(t *testing.T) {
	s := newOrchServer(t)
	tr := h1Transport(nil)
	assert.Nil(t, tr.DialTLSContext, "Apply with no store changes nothing")
	_, err := get(tr, s.URL)
	require.NoError(t, err)
	s.restart(t)
	_, err = get(h1Transport(nil), s.URL)
	require.NoError(t, err, "without pins any certificate is accepted")

	c := Config(nil, "x:1", nil)
	assert.True(t, c.InsecureSkipVerify)
	assert.Nil(t, c.VerifyConnection)
	assert.Equal(t, uint16(tls.VersionTLS12), c.MinVersion)
}

// failingStore fails every call.
type failingStore struct{}

func (failingStore) LoadOrStore(string, Pin) (Pin, error) { return "", errors.New("disk full") }
func (failingStore) Delete(string) error                  { return errors.New("disk full") }

func TestStoreErrorFailsTheHandshake(t *testing.T) {
	s := newOrchServer(t)
	_, err := get(h1Transport(failingStore{}), s.URL)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
	assert.Contains(t, err.Error(), s.addr())
}

func TestConcurrentFirstUsePinsOnce(t *testing.T) {
	s := newOrchServer(t)
	store := NewMemoryStore()
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Go(func() { _, errs[i] = get(h1Transport(store), s.URL) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, map[string]Pin{s.addr(): s.pin()}, store.Pins())
}

// connectProxy is a minimal HTTP CONNECT proxy.
func connectProxy(t *testing.T) *httptest.Server {
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			_ = up.Close()
			return
		}
		go func() { _, _ = io.Copy(up, rw); _ = up.Close() }()
		_, _ = io.Copy(conn, up)
		_ = conn.Close()
	}))
	t.Cleanup(p.Close)
	return p
}

func TestProxiedConnectionsFailClosed(t *testing.T) {
	s := newOrchServer(t)
	proxy, _ := url.Parse(connectProxy(t).URL)
	tr := h1Transport(NewMemoryStore())
	tr.Proxy = http.ProxyURL(proxy)
	_, err := get(tr, s.URL)
	require.ErrorIs(t, err, ErrProxied, "a pin that cannot be checked refuses the connection")

	plain := h1Transport(nil)
	plain.Proxy = http.ProxyURL(proxy)
	_, err = get(plain, s.URL)
	require.NoError(t, err, "the proxy itself works")
}

func TestDialTLSContextHonoursContext(t *testing.T) {
	// A listener that accepts and never speaks TLS.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	}()
	dial := DialTLSContext(func() *tls.Config { return nil }, NewMemoryStore(), nil, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = dial(ctx, "tcp", ln.Addr().String())
	require.ErrorIs(t, err, context.DeadlineExceeded)

	dial = DialTLSContext(func() *tls.Config { return nil }, NewMemoryStore(), nil, 100*time.Millisecond)
	_, err = dial(context.Background(), "tcp", ln.Addr().String())
	require.Error(t, err, "the handshake timeout bounds a silent server")
}
