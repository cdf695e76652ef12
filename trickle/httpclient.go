package trickle

import (
	"crypto/tls"
	"io"
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
