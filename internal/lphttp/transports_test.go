package lphttp

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

func TestTransportsReuseAndEvict(t *testing.T) {
	var conns, closed atomic.Int32
	block := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			select {
			case <-block:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed:
			closed.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	defer close(block)
	tr := NewTransports()
	defer tr.Close()
	hc := &http.Client{Transport: tr}
	for range 3 {
		resp, err := hc.Get(srv.URL + "/")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	require.EqualValues(t, 1, conns.Load(), "one connection for three requests")
	host := mustHost(t, srv.URL)
	require.Equal(t, 1, tr.Open(host))

	// Evict closes busy connections too.
	resp, err := hc.Get(srv.URL + "/block")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 1, tr.Open(host), "the busy one reused the idle connection")
	require.Equal(t, 1, tr.Evict(host))
	_, err = io.ReadAll(resp.Body)
	require.Error(t, err, "the busy response was cut")
	require.Zero(t, tr.Open(host))
	deadline := time.Now().Add(10 * time.Second)
	for closed.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.EqualValues(t, 1, closed.Load())

	tr.Close()
	_, err = hc.Get(srv.URL + "/")
	require.ErrorIs(t, err, lperr.ErrClosed)
	tr.Released() // nothing idle left; must not panic
}

func mustHost(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}
