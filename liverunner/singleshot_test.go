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

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

func singleShot(t *testing.T, f *fixture, app string) *liverunner.SingleShotTransport {
	t.Helper()
	ranked, _, err := liverunner.Discover(context.Background(), f.source(), liverunner.Filter{App: app, Mode: liverunner.SingleShot})
	require.NoError(t, err)
	require.Len(t, ranked, 1)
	tr, err := f.c.SingleShot(ranked[0], liverunner.CallConfig{PaymentInterval: 30 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// Every single-shot request is paid on its own: 402 → pay → the request
// again with its body; the app sees a session of its own.
func TestSingleShotPaid(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("ss-echo", "test/echo", 2, "3.6", "hour")}})
	tr := singleShot(t, f, "test/echo")
	hc := tr.Client()
	var sessions []string
	for i := range 2 {
		resp, err := hc.Post(tr.URL("echo/p?i=1"), "text/plain", strings.NewReader("hello"))
		require.NoError(t, err)
		var e worker.EchoResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "hello", e.Body, "the body is sent again after the 402")
		require.Equal(t, "/echo/p", e.Path)
		require.NotEmpty(t, e.Livepeer["Livepeer-Session-Id"])
		sessions = append(sessions, e.Livepeer["Livepeer-Session-Id"])
		require.Equal(t, i+1, f.n.Orchestrators()[0].PaymentsReceived())
	}
	require.NotEqual(t, sessions[0], sessions[1])
	f.eventually(func() bool { return len(f.sessions()) == 0 }, "released after each request")
}

// Off-chain: no challenge, no payment.
func TestSingleShotOffchain(t *testing.T) {
	f := newFixture(t, fixtureConfig{offchain: true, static: []livepeertest.StaticRunner{runner("ss-echo", "test/echo", 1, "", "")}})
	tr := singleShot(t, f, "test/echo")
	resp, err := tr.Client().Get(tr.URL("echo/x"))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 0, f.n.Orchestrators()[0].PaymentsReceived())
}

// A priced single-shot runner cannot be used without a signer.
func TestSingleShotPricedWithoutSigner(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("ss-echo", "test/echo", 1, "3.6", "hour")}})
	ranked, _, err := liverunner.Discover(context.Background(), f.source(), liverunner.Filter{App: "test/echo"})
	require.NoError(t, err)
	off, err := liverunner.New(liverunner.Config{Signer: offchainSigner()})
	require.NoError(t, err)
	tr, err := off.SingleShot(ranked[0], liverunner.CallConfig{})
	require.NoError(t, err)
	defer tr.Close()
	_, err = tr.Client().Get(tr.URL("echo/x"))
	require.ErrorIs(t, err, liverunner.ErrNotPaid)
	require.ErrorIs(t, err, livepeer.ErrPaymentFailed)
}

// A long single-shot event stream is paid while it is read, at the
// challenge's payment_url.
func TestSingleShotStreamPaidWhileRead(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("ss-echo", "test/echo", 1, "3.6", "hour")}})
	tr := singleShot(t, f, "test/echo")
	resp, err := tr.Client().Get(tr.URL("ticks?count=15&interval_ms=40"))
	require.NoError(t, err)
	sc := bufio.NewScanner(resp.Body)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			n++
		}
	}
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 15, n)
	require.Greater(t, f.n.Orchestrators()[0].PaymentsReceived(), 2, "payments while the stream ran")
}

// Call fails over past a runner whose app cannot be reached (the proxy's
// 502 "dial ..."), for single-shot and persistent runners, and stops the
// session it reserved on the dead one.
func TestCallFailsOverDeadRunner(t *testing.T) {
	dead := deadURL(t)
	dead = "http" + strings.TrimPrefix(dead, "https")
	f := newFixture(t, fixtureConfig{})
	reg := f.n.Runners()[0]
	_, err := reg.RegisterStatic(livepeertest.StaticRunners{Runners: []livepeertest.StaticRunner{
		withURL(runner("ss-dead", "test/echo", 1, "1.8", "hour"), dead, f.appSrv.URL+"/health"),
		withURL(runner("ss-good", "test/echo", 1, "3.6", "hour"), f.appSrv.URL, f.appSrv.URL+"/health"),
		withURL(runner("dead", "test/p", 1, "1.8", "hour"), dead, f.appSrv.URL+"/health"),
		withURL(runner("good", "test/p", 1, "3.6", "hour"), f.appSrv.URL, f.appSrv.URL+"/health"),
	}})
	require.NoError(t, err)
	for _, app := range []string{"test/echo", "test/p"} {
		sel := f.selectApp(app)
		a, err := f.c.Call(context.Background(), sel, liverunner.Request{Method: http.MethodGet, Path: "echo/z"}, liverunner.CallConfig{})
		require.NoError(t, err, app)
		var e worker.EchoResponse
		require.NoError(t, json.NewDecoder(a.Response.Body).Decode(&e))
		require.NoError(t, a.Close())
		require.Equal(t, "/echo/z", e.Path)
		rej := sel.Rejections()
		require.Len(t, rej, 1, app)
		require.ErrorIs(t, rej[0].Err, livepeer.ErrOrchestratorUnavailable)
		require.Contains(t, rej[0].Err.Error(), "dial")
		require.Empty(t, f.sessions(), app)
	}
}

// An app's error answer is the caller's: not retried, an *AppError.
func TestCallAppError(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("ss-a", "test/echo", 1, "3.6", "hour"), runner("ss-b", "test/echo", 1, "3.6", "hour")}})
	sel := f.selectApp("test/echo")
	_, err := f.c.Call(context.Background(), sel, liverunner.Request{Method: http.MethodGet, Path: "nope"}, liverunner.CallConfig{})
	var ae *liverunner.AppError
	require.ErrorAs(t, err, &ae)
	require.ErrorIs(t, err, livepeer.ErrJobFailed)
	require.Equal(t, http.StatusNotFound, ae.StatusCode)
	require.Equal(t, 1, sel.Remaining(), "not retried on the other runner")
}

func withURL(r livepeertest.StaticRunner, runnerURL, health string) livepeertest.StaticRunner {
	r.RunnerURL, r.HealthURL = runnerURL, health
	return r
}
