package liverunner_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// With Config.Pins, every connection the Client makes pins the
// orchestrator's key on first use: a session (HTTP and a WebSocket, which
// needs HTTP/1.1) and a single-shot call work and pin it; once the
// orchestrator presents another key, a new reservation and a new
// single-shot call are refused with ErrCertificateMismatch.
func TestPinsEveryConnection(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{
		runner("echo", "test/echo", 2, "3.6", "hour"), runner("ss-echo", "test/ss", 2, "3.6", "hour")}})
	pins := orchtls.NewMemoryStore()
	c, err := liverunner.New(liverunner.Config{Signer: f.sc, RequestTimeout: 10 * time.Second, Pins: pins})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := f.n.Orchestrators()[0]

	s, err := c.Reserve(ctx, f.selectApp("test/echo"), liverunner.SessionConfig{PaymentInterval: time.Minute})
	require.NoError(t, err)
	resp, err := s.Client().Get(s.URL("echo/x"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ws, _, err := websocket.Dial(ctx, s.URL("ws"), &websocket.DialOptions{HTTPClient: s.Client()})
	require.NoError(t, err, "a WebSocket upgrade through a pinned session")
	_, hello, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "session "+s.ID(), string(hello))
	require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))
	require.NoError(t, s.Close())
	pin, ok := pins.Load(o.Addr())
	require.True(t, ok, "pinned: %v", pins.Pins())
	require.Equal(t, orchtls.PinOf(o.Certificate()), pin)

	call := func() error {
		ranked, _, err := liverunner.Discover(ctx, f.source(), liverunner.Filter{App: "test/ss", Mode: liverunner.SingleShot})
		require.NoError(t, err)
		tr, err := c.SingleShot(ranked[0], liverunner.CallConfig{})
		require.NoError(t, err)
		defer tr.Close()
		resp, err := tr.Client().Post(tr.URL("echo/p"), "text/plain", strings.NewReader("hi"))
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	require.NoError(t, call())

	require.NoError(t, o.RotateCertificate())
	_, err = c.Reserve(ctx, f.selectApp("test/echo"), liverunner.SessionConfig{PaymentInterval: time.Minute})
	require.ErrorIs(t, err, livepeer.ErrCertificateMismatch)
	require.ErrorIs(t, call(), livepeer.ErrCertificateMismatch)
	var mm *orchtls.MismatchError
	require.ErrorAs(t, call(), &mm)
	require.Equal(t, o.Addr(), mm.Addr)
	f.eventually(func() bool { return len(f.sessions()) == 0 }, "nothing left reserved")
}
