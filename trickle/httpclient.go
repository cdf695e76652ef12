package trickle

import (
	"context"
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// newHTTPClient builds the default client: bounded dial and TLS handshake,
// no total request timeout (segments may stay open for a long time; every
// wait is bounded by a context instead), HTTP/1.1 like go-livepeer's client,
// and no certificate verification unless verify is set (orchestrators use
// self-signed certificates).
func newHTTPClient(verify bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: !verify}, //nolint:gosec // documented default for orchestrators
		TLSHandshakeTimeout:   10 * time.Second,
		IdleConnTimeout:       60 * time.Second,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		ExpectContinueTimeout: time.Second,
	}}
}

// closeIdle releases pooled connections of a client this package created.
func closeIdle(c *http.Client, owned bool) {
	if owned {
		c.CloseIdleConnections()
	}
}

// drainClose reads a little of a body (so the connection can be reused) and
// closes it.
func drainClose(b io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, b, 4<<10)
	_ = b.Close()
}

// readSmall reads at most 512 bytes of a body for error messages.
func readSmall(b io.Reader) string {
	buf, _ := io.ReadAll(io.LimitReader(b, 512))
	return string(buf)
}

// backoff returns the delay before retry attempt n (1-based): base*2^(n-1),
// capped at max, with +-20% jitter.
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	j := time.Duration(rand.Int64N(int64(d)/5 + 1))
	return d - d/10 + j
}

// sleepCtx waits d or until ctx or done ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-done:
		return false
	}
}
