package livepeertest

import (
	"bufio"
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func singleShotRunner() StaticRunner {
	return StaticRunner{Label: "oneshot", App: "test/oneshot", Mode: "single_shot", Capacity: 1, PriceInfo: usd("3.6", "hour")}
}

func TestRunnerSingleShotPaid(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{}, singleShotRunner(), echoRunner())
	var ss, persistent DiscoveryRunner
	for _, d := range f.discovery() {
		if d.App == "test/oneshot" {
			ss = d
		} else {
			persistent = d
		}
	}
	require.Equal(t, "single-shot", ss.Mode, "single_shot is normalised")
	require.True(t, strings.HasSuffix(ss.URL, "/app"), ss.URL)

	// 402 → pay → the same request again → the app's answer.
	status, _, body := f.do(http.MethodPost, ss.URL+"/echo/x?q=1", "hello", f.payer())
	require.Equal(t, http.StatusPaymentRequired, status, "%s", body)
	ch, info := challengeOf(t, body)
	require.Contains(t, ch.PaymentURL, "/session/"+ch.ManifestID+"/payment")
	hdr, _ := f.pay(info, ch.ManifestID, "live", nil)
	status, _, body = f.do(http.MethodPost, ss.URL+"/echo/x?q=1", "hello", hdr)
	require.Equal(t, http.StatusOK, status, "%s", body)
	e := decode[worker.EchoResponse](t, body)
	require.Equal(t, "hello", e.Body)
	require.Equal(t, "/echo/x", e.Path)
	require.Equal(t, ch.ManifestID, e.Livepeer[SessionIDHeader])
	require.Empty(t, f.reg.Sessions(), "the single-shot session ends with its request")

	// Mode mismatches.
	status, _, body = f.do(http.MethodGet, strings.TrimSuffix(persistent.URL, "/session")+"/app/echo/", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "runner is not single-shot\n", string(body))
	status, _, body = f.do(http.MethodPost, strings.TrimSuffix(ss.URL, "/app")+"/session", nil, f.payer())
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "only persistent runners have sessions\n", string(body))
}

func TestRunnerSingleShotOffchainCapacity(t *testing.T) {
	r := singleShotRunner()
	r.Proxy = true
	f := newRunnerFixture(t, true, RunnersConfig{}, r)
	d := f.discovery()
	require.Len(t, d, 1)
	id := f.reg.RunnerIDs()[0]
	require.Equal(t, f.o.URL()+"/run/"+id, d[0].URL, "a proxy single-shot runner advertises its /run URL")

	// Off-chain: no challenge. Hold one long request open (an endless SSE).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d[0].URL+"/ticks?count=0&interval_ms=20", nil)
	resp, err := f.c.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "id: 0\n", line)
	require.Len(t, f.reg.Sessions(), 1)

	// Capacity 1: a concurrent call gets 503, through either URL.
	status, _, body := f.do(http.MethodGet, f.o.URL()+"/apps/"+id+"/app/echo/", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "no capacity available for runner\n", string(body))
	status, _, _ = f.do(http.MethodGet, d[0].URL+"/echo/", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, status)

	// The client goes away: the slot frees.
	cancel()
	eventually(t, func() bool { return len(f.reg.Sessions()) == 0 }, "single-shot session released")
	e := f.echo(d[0].URL+"/echo/z", nil)
	require.Equal(t, "/echo/z", e.Path)
}

func TestRunnerSSEAndWebSocketThroughProxy(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{}, echoRunner())
	status, _, body := f.do(http.MethodPost, f.discovery()[0].URL, nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)

	// SSE: events arrive one by one while the stream is still open.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sess.AppURL+"/ticks?count=0&interval_ms=30", nil)
	resp, err := f.c.http.Do(req)
	require.NoError(t, err)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		var data string
		for {
			line, err := br.ReadString('\n')
			require.NoError(t, err)
			if strings.HasPrefix(line, "data: ") {
				data = strings.TrimSpace(strings.TrimPrefix(line, "data: "))
			}
			if line == "\n" {
				break
			}
		}
		tick := decode[worker.Tick](t, []byte(data))
		require.Equal(t, i, tick.Tick)
		require.Equal(t, sess.SessionID, tick.Session)
	}
	cancel()
	resp.Body.Close()

	// WebSocket over HTTP/1.1 through the orchestrator.
	wsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer wsClient.CloseIdleConnections()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	c, _, err := websocket.Dial(wctx, "wss"+strings.TrimPrefix(sess.AppURL, "https")+"/ws", &websocket.DialOptions{HTTPClient: wsClient})
	require.NoError(t, err)
	defer c.CloseNow()
	_, greeting, err := c.Read(wctx)
	require.NoError(t, err)
	require.Equal(t, "session "+sess.SessionID, string(greeting))
	for _, m := range []string{"one", "two"} {
		require.NoError(t, c.Write(wctx, websocket.MessageText, []byte(m)))
		typ, got, err := c.Read(wctx)
		require.NoError(t, err)
		require.Equal(t, websocket.MessageText, typ)
		require.Equal(t, m, string(got))
	}
	require.NoError(t, c.Write(wctx, websocket.MessageBinary, []byte{0, 1, 2}))
	typ, got, err := c.Read(wctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, []byte{0, 1, 2}, got)
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	eventually(t, func() bool { return f.app.WS.Open() == 0 }, "runner side closed")
	require.Equal(t, int64(3), f.app.WS.Echoed())
}

func TestRunnerPersistentProxyURL(t *testing.T) {
	r := echoRunner()
	r.Proxy = true
	f := newRunnerFixture(t, true, RunnersConfig{}, r)
	d := f.discovery()[0]
	status, _, body := f.do(http.MethodPost, d.URL, nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)
	require.True(t, strings.HasPrefix(sess.AppURL, f.o.URL()+"/run/"), sess.AppURL)
	require.Equal(t, d.URL+"/"+sess.SessionID, sess.ControlURL, "control_url stays the ordinary one")
	require.Len(t, strings.TrimPrefix(sess.AppURL, f.o.URL()+"/run/"), 26)
	e := f.echo(sess.AppURL+"/echo/p?z=9", nil)
	require.Equal(t, "/echo/p", e.Path)
	require.Equal(t, "z=9", e.Query)
	require.Equal(t, sess.SessionID, e.Livepeer[SessionIDHeader])
	status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/stop", nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _, body = f.do(http.MethodGet, sess.AppURL+"/echo/p", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "live runner proxy not found\n", string(body))
}

func TestRunnerDeadRunnerAnswers502(t *testing.T) {
	r := echoRunner()
	f := newRunnerFixture(t, true, RunnersConfig{HealthInterval: time.Hour}, r)
	status, _, body := f.do(http.MethodPost, f.discovery()[0].URL, nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)
	f.appSrv.Close()
	status, _, _ = f.do(http.MethodGet, sess.AppURL+"/echo/", nil, nil)
	require.Equal(t, http.StatusBadGateway, status)
}
