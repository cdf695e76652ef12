package discovery

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// testCert returns a fresh self-signed P-256 certificate for 127.0.0.1, as
// go-livepeer orchestrators generate on start.
func testCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

var sharedCert struct {
	once sync.Once
	cert tls.Certificate
}

func cert(t testing.TB) tls.Certificate {
	sharedCert.once.Do(func() { sharedCert.cert = testCert(t) })
	return sharedCert.cert
}

// fakeOrch is an in-test orchestrator: gRPC GetOrchestrator over TLS.
type fakeOrch struct {
	addr   string
	srv    *http.Server
	calls  atomic.Int32
	conns  atomic.Int32 // TCP connections accepted
	gone   atomic.Int32 // TCP connections closed
	handle func(context.Context, *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error)

	mu      sync.Mutex
	lastReq *lpnet.OrchestratorRequest
}

func (f *fakeOrch) GetOrchestrator(ctx context.Context, req *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.lastReq = req
	f.mu.Unlock()
	return f.handle(ctx, req)
}

func (f *fakeOrch) Ping(context.Context, *lpnet.PingPong) (*lpnet.PingPong, error) {
	return &lpnet.PingPong{}, nil
}

func (f *fakeOrch) last() *lpnet.OrchestratorRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastReq
}

// startOrch starts a fake orchestrator whose answers come from handle.
func startOrch(t testing.TB, handle func(context.Context, *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error)) *fakeOrch {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeOrch{addr: ln.Addr().String(), handle: handle}
	// go-livepeer serves gRPC over TLS with HTTP/2 on its service port.
	prefix, h := lpnet.NewOrchestratorHandler(f)
	mux := http.NewServeMux()
	mux.Handle(prefix, h)
	f.srv = &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert(t)}, NextProtos: []string{"h2"}}, ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				f.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				f.gone.Add(1)
			}
		}}
	done := make(chan struct{})
	go func() { defer close(done); _ = f.srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = f.srv.Close(); <-done })
	return f
}

// staticOrch answers with info (Transcoder defaults to https://addr).
func staticOrch(t testing.TB, info *lpnet.OrchestratorInfo) *fakeOrch {
	var f *fakeOrch
	f = startOrch(t, func(context.Context, *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
		out := &lpnet.OrchestratorInfo{}
		if info != nil {
			out = cloneInfo(info)
		}
		if out.Transcoder == "" {
			out.Transcoder = "https://" + f.addr
		}
		return out, nil
	})
	return f
}

func cloneInfo(in *lpnet.OrchestratorInfo) *lpnet.OrchestratorInfo {
	return proto.Clone(in).(*lpnet.OrchestratorInfo)
}

// lv2vInfo advertises LV2V models at a price.
func lv2vInfo(price int64, models ...string) *lpnet.OrchestratorInfo {
	m := map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{}
	for _, name := range models {
		m[name] = &lpnet.Capabilities_CapabilityConstraints_ModelConstraint{Warm: true, Capacity: 1}
	}
	return &lpnet.OrchestratorInfo{
		PriceInfo: &lpnet.PriceInfo{PricePerUnit: price, PixelsPerUnit: 1},
		Capabilities: &lpnet.Capabilities{
			Bitstring:   []uint64{1 << 35},
			Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{35: {Models: m}}},
		},
	}
}

// blackhole accepts TCP connections and never answers.
func blackhole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
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
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a := ln.Addr().String()
	ln.Close()
	return a
}

// checkNoLeak fails t if goroutines started after it was called are still
// running shortly after the test's cleanups.
func checkNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf)
		}
	})
}

func newTestClient(t testing.TB, opts ClientConfig) *Client {
	c, err := NewClient(opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

var errTest = errors.New("test failure")
