package liverunner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// 402 → pay → 200, then HTTP, server-sent events and a WebSocket through
// the orchestrator's proxy with the session's client, payments on a timer
// that the orchestrator's charges follow, and a Close that leaves nothing
// behind.
func TestSessionPaidEndToEnd(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("echo", "test/echo", 2, "3.6", "hour")}})
	ctx := context.Background()
	sel := f.selectApp("test/echo")
	var w warnings
	s, err := f.c.Reserve(ctx, sel, liverunner.SessionConfig{PaymentInterval: 50 * time.Millisecond, OnWarning: w.add})
	require.NoError(t, err)
	defer s.Close()

	sessions := f.sessions()
	require.Len(t, sessions, 1)
	require.Equal(t, s.ID(), sessions[0].SessionID)
	require.Equal(t, strings.TrimSuffix(s.Runner().URL, "/session")+"/session/"+s.ID()+"/app", s.AppURL())
	require.Equal(t, 1, s.Payments(), "the reservation's payment")

	// HTTP.
	resp, err := s.Client().Post(s.URL("echo/hello?x=1"), "text/plain", strings.NewReader("body"))
	require.NoError(t, err)
	var e worker.EchoResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	resp.Body.Close()
	require.Equal(t, "/echo/hello", e.Path)
	require.Equal(t, "x=1", e.Query)
	require.Equal(t, "body", e.Body)
	require.Equal(t, s.ID(), e.Livepeer["Livepeer-Session-Id"])

	// Server-sent events, read as they come.
	resp, err = s.Client().Get(s.URL("ticks?count=3&interval_ms=10"))
	require.NoError(t, err)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	var ticks []string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			ticks = append(ticks, d)
		}
	}
	resp.Body.Close()
	require.Len(t, ticks, 3)
	require.JSONEq(t, `{"tick":2,"session":"`+s.ID()+`"}`, ticks[2])

	// A WebSocket over the session's client (HTTP/1.1 upgrade through the proxy).
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(wctx, s.URL("ws"), &websocket.DialOptions{HTTPClient: s.Client()})
	require.NoError(t, err)
	_, hello, err := ws.Read(wctx)
	require.NoError(t, err)
	require.Equal(t, "session "+s.ID(), string(hello))
	require.NoError(t, ws.Write(wctx, websocket.MessageText, []byte("ping")))
	_, echo, err := ws.Read(wctx)
	require.NoError(t, err)
	require.Equal(t, "ping", string(echo))
	require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))

	// Payments follow the orchestrator's charges.
	f.eventually(func() bool {
		ss := f.sessions()
		return s.Payments() >= 3 && len(ss) == 1 && ss[0].Charges >= 2
	}, "payments and charges")
	require.NoError(t, s.Err())
	require.Empty(t, w.kinds())

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "idempotent")
	require.Empty(t, f.sessions(), "stopped on the orchestrator")
	<-s.Done()
	_, err = s.Client().Get(s.URL("echo/x"))
	require.ErrorIs(t, err, livepeer.ErrClosed)
}

// Off-chain: the reservation is answered at once and nothing is paid.
func TestSessionOffchain(t *testing.T) {
	f := newFixture(t, fixtureConfig{offchain: true, static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "", "")}})
	s, err := f.c.Reserve(context.Background(), f.selectApp("test/echo"), liverunner.SessionConfig{})
	require.NoError(t, err)
	require.Equal(t, 0, s.Payments())
	resp, err := s.Client().Get(s.URL("echo/x"))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, s.Close())
	require.Empty(t, f.sessions())
}

// A request to another host through the session's client is refused.
func TestSessionClientRefusesOtherHosts(t *testing.T) {
	f := newFixture(t, fixtureConfig{offchain: true, static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "", "")}})
	s, err := f.c.Reserve(context.Background(), f.selectApp("test/echo"), liverunner.SessionConfig{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Client().Get(f.appSrv.URL + "/echo/x")
	require.ErrorIs(t, err, livepeer.ErrInvalidConfig)
}
