package trickle

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkLeaks fails the test if goroutines started during it outlive it.
// Register it first so it runs after every other cleanup.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
		}
	})
}

// testServer starts a trickle Server behind httptest on loopback.
type testServer struct {
	*Server
	hs  *httptest.Server
	url string // base URL including the base path
}

func newTestServer(t *testing.T, cfg ServerConfig) *testServer {
	t.Helper()
	if cfg.BasePath == "" {
		cfg.BasePath = "/ai/trickle/"
	}
	// Most tests check a round trip and its clean end; a subscriber whose
	// next GET reaches the server just after the channel was removed would
	// get go-livepeer's 404 (ErrStreamVanished). Tests of that 404 pass a
	// negative RememberClosed.
	if cfg.RememberClosed == 0 {
		cfg.RememberClosed = time.Minute
	}
	srv := NewServer(cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return &testServer{Server: srv, hs: hs, url: hs.URL + srv.BasePath()}
}

func (ts *testServer) channel(t *testing.T, name string) string {
	t.Helper()
	require.NoError(t, ts.CreateChannel(name, "video/mp2t"))
	return ts.url + name
}

// rawServer runs an arbitrary handler on loopback.
func rawServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newPub(t *testing.T, url string, cfg PublisherConfig) *Publisher {
	t.Helper()
	p, err := NewPublisher(url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newSub(t *testing.T, url string, cfg SubscriberConfig) *Subscriber {
	t.Helper()
	s, err := NewSubscriber(url, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func readSeg(t *testing.T, s *Subscriber, ctx context.Context) (int, string) {
	t.Helper()
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	defer seg.Close()
	b, err := io.ReadAll(seg)
	require.NoError(t, err)
	return seg.Seq(), string(b)
}

func publish(t *testing.T, p *Publisher, ctx context.Context, data string) int {
	t.Helper()
	w, err := p.Next(ctx)
	require.NoError(t, err)
	_, err = w.WriteContext(ctx, []byte(data))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return w.Seq()
}

// hijackClose drops the connection without an HTTP answer.
func hijackClose(w http.ResponseWriter) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST
		}
		_ = c.Close()
	}
}

func seqOf(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// requestsOn returns how many requests hold the server's segment seq of a
// channel (0 if it does not exist).
func requestsOn(ts *testServer, name string, seq int) int {
	c := ts.getChannel(name)
	if c == nil {
		return 0
	}
	seg := c.lookup(seq)
	if seg == nil {
		return 0
	}
	seg.mu.Lock()
	defer seg.mu.Unlock()
	return seg.refs
}
