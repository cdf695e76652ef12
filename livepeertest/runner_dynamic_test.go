package livepeertest

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

const testSecret = "orch-secret"

func (f *runnerFixture) heartbeat(auth string, hb map[string]any) (int, runnerHeartbeatResponse, string) {
	f.t.Helper()
	status, _, body := f.do(http.MethodPost, f.o.URL()+"/runners/heartbeat", hb, map[string]string{"Authorization": auth})
	var resp runnerHeartbeatResponse
	if status == http.StatusOK {
		resp = decode[runnerHeartbeatResponse](f.t, body)
	}
	return status, resp, string(body)
}

func (f *runnerFixture) dynamicBody(extra map[string]any) map[string]any {
	hb := map[string]any{"runner_url": f.appSrv.URL, "app": "test/dynamic", "capacity": 2,
		"price_info": map[string]any{"price": 3.6, "currency": "usd", "unit": "hour"}}
	for k, v := range extra {
		hb[k] = v
	}
	return hb
}

// o2rEvents reads the O2R channel and sends its messages on a channel.
func o2rEvents(t *testing.T, url string) <-chan map[string]any {
	t.Helper()
	sub, err := trickle.NewSubscriber(url, trickle.SubscriberConfig{})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(context.Background())
	out := make(chan map[string]any, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		defer sub.Close()
		for msg, err := range trickle.ReadJSON(rctx, sub, 0) {
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(msg, &m) == nil {
				out <- m
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out
}

// nextEvent returns the next non-keepalive O2R message.
func nextEvent(t *testing.T, ch <-chan map[string]any) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-ch:
			require.True(t, ok, "O2R channel ended")
			if m["keep"] == "alive" {
				continue
			}
			return m
		case <-timeout:
			t.Fatal("no O2R event")
		}
	}
}

func TestRunnerDynamicRegistration(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{Secret: testSecret, O2RInterval: 50 * time.Millisecond})

	// Bootstrap refusals.
	for _, auth := range []string{"", "wrong"} {
		status, _, body := f.heartbeat(auth, f.dynamicBody(nil))
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, "invalid registration authorization\n", body)
	}
	for _, bad := range []map[string]any{
		{"status": "Ready"}, {"status": " ready"}, {"mode": "batch"}, {"capacity": -1}, {"runner_url": "ftp://x"},
		{"app": " a"}, {"metadata": strings.Repeat("x", 1025)}, {"price_info": map[string]any{"price": 0}},
	} {
		status, _, body := f.heartbeat(testSecret, f.dynamicBody(bad))
		require.Equal(t, http.StatusBadRequest, status, "%v: %s", bad, body)
	}
	status, _, _ := f.do(http.MethodPost, f.o.URL()+"/runners/heartbeat", "{", map[string]string{"Authorization": testSecret})
	require.Equal(t, http.StatusBadRequest, status)

	// First registration: id, durations, derived secret, O2R channel, no sessions.
	status, reg, body := f.heartbeat(testSecret, f.dynamicBody(map[string]any{"metadata": `{"region":"test"}`, "gpu": 3}))
	require.Equal(t, http.StatusOK, status, body)
	require.Regexp(t, regexp.MustCompile(`^runner_[a-z2-7]{8}$`), reg.RunnerID)
	require.Equal(t, f.o.URL(), reg.Orchestrator)
	require.Equal(t, "5s", reg.HeartbeatInterval)
	require.Equal(t, "20s", reg.HeartbeatTTL)
	require.Len(t, reg.HeartbeatSecret, 52)
	require.NotNil(t, reg.O2R)
	require.Equal(t, "o2r", reg.O2R.Name)
	require.Regexp(t, regexp.MustCompile(`^`+reg.RunnerID+`-[a-z2-7]{16}-o2r$`), reg.O2R.ChannelName)
	require.Equal(t, f.o.URL()+tricklePath+reg.O2R.ChannelName, reg.O2R.URL)
	require.Empty(t, reg.O2R.InternalURL)
	require.Equal(t, "application/json", reg.O2R.MimeType)
	require.NotNil(t, reg.SessionIDs)
	require.Empty(t, reg.SessionIDs)
	require.Contains(t, body, `"session_ids":[]`)
	events := o2rEvents(t, reg.O2R.URL)
	select {
	case m := <-events:
		require.Equal(t, map[string]any{"keep": "alive"}, m)
	case <-time.After(10 * time.Second):
		t.Fatal("no keepalive")
	}

	d := f.discovery()
	require.Len(t, d, 1)
	require.Equal(t, f.o.URL()+"/apps/"+reg.RunnerID+"/session", d[0].URL)
	require.Equal(t, `{"region":"test"}`, d[0].Metadata)
	require.Equal(t, &RunnerGPU{ID: "3"}, d[0].GPU)
	require.Equal(t, 2, d[0].Capacity)

	// Follow-ups need the derived secret, not the bootstrap one.
	hb := f.dynamicBody(map[string]any{"runner_id": reg.RunnerID})
	status, _, body = f.heartbeat(testSecret, hb)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "invalid heartbeat authorization\n", body)
	status, again, body := f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, http.StatusOK, status, body)
	require.Empty(t, again.HeartbeatSecret)
	require.Nil(t, again.O2R)
	require.NotContains(t, body, "heartbeat_secret")
	require.Empty(t, f.discovery()[0].Metadata, "an empty metadata clears it")

	// A session: "reserved" on O2R, listed in the heartbeat answer.
	sess, _, _, _ := f.reservePaid(d[0].URL, "live")
	ev := nextEvent(t, events)
	require.Equal(t, "reserved", ev["event"])
	require.Equal(t, sess.SessionID, ev["session"])
	_, err := time.Parse(time.RFC3339Nano, ev["timestamp"].(string))
	require.NoError(t, err)
	_, again, _ = f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, []string{sess.SessionID}, again.SessionIDs)

	// Not ready: hidden, every proxy call and callback 404, the session kept.
	e := f.echo(sess.AppURL+"/echo/", nil)
	token := e.Livepeer[SessionTokenHeader]
	busy := f.dynamicBody(map[string]any{"runner_id": reg.RunnerID, "status": "busy"})
	status, again, _ = f.heartbeat(reg.HeartbeatSecret, busy)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{sess.SessionID}, again.SessionIDs)
	require.Empty(t, f.discovery())
	status, _, raw := f.do(http.MethodGet, sess.AppURL+"/echo/", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "runner not found\n", string(raw))
	status, _, _ = f.do(http.MethodPost, e.Livepeer[SessionControlHeader]+"/channels", `{"channels":[{"name":"a"}]}`, map[string]string{SessionTokenHeader: token})
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = f.do(http.MethodPost, d[0].URL, nil, f.payer())
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "/echo/", f.echo(sess.AppURL+"/echo/", nil).Path, "ready again: the session works")

	// Stop: "released".
	status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/stop", nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	ev = nextEvent(t, events)
	require.Equal(t, "released", ev["event"])
	require.Equal(t, sess.SessionID, ev["session"])

	// Unregister: wrong secret 401, then 204, then 404; O2R terminated; the
	// old secret no longer heartbeats (401, the entry is gone).
	unreg := f.o.URL() + "/runners/" + reg.RunnerID + "/unregister"
	status, _, _ = f.do(http.MethodPost, unreg, nil, map[string]string{"Authorization": testSecret})
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.do(http.MethodPost, unreg, nil, map[string]string{"Authorization": reg.HeartbeatSecret})
	require.Equal(t, http.StatusNoContent, status)
	status, _, _ = f.do(http.MethodPost, unreg, nil, map[string]string{"Authorization": reg.HeartbeatSecret})
	require.Equal(t, http.StatusNotFound, status)
	for m := range events {
		require.Equal(t, "alive", m["keep"], "only keepalives before the end")
	}
	status, _, _ = f.do(http.MethodGet, reg.O2R.URL+"/next", nil, nil)
	require.Equal(t, http.StatusNotFound, status, "the O2R channel is gone")
	status, _, body = f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "invalid registration authorization\n", body)
	require.Empty(t, f.discovery())

	// Re-registration with a proposed id.
	status, reg2, _ := f.heartbeat(testSecret, f.dynamicBody(map[string]any{"runner_id": "my-runner"}))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "my-runner", reg2.RunnerID)
	require.NotEqual(t, reg.HeartbeatSecret, reg2.HeartbeatSecret)
}

func TestRunnerDynamicDisabledWithoutSecret(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{}, echoRunner())
	status, _, body := f.heartbeat("", f.dynamicBody(nil))
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "dynamic live runner registration is disabled\n", body)
	// A static runner neither heartbeats nor unregisters.
	id := f.reg.RunnerIDs()[0]
	status, _, body = f.heartbeat("", f.dynamicBody(map[string]any{"runner_id": id}))
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "static runner cannot heartbeat\n", body)
	status, _, _ = f.do(http.MethodPost, f.o.URL()+"/runners/"+id+"/unregister", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
}

func TestRunnerTTLExpiry(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{Secret: testSecret, HeartbeatInterval: 50 * time.Millisecond, HeartbeatTTL: 300 * time.Millisecond})
	status, reg, _ := f.heartbeat(testSecret, f.dynamicBody(nil))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "50ms", reg.HeartbeatInterval)
	require.Equal(t, "300ms", reg.HeartbeatTTL)
	events := o2rEvents(t, reg.O2R.URL)
	status, _, body := f.do(http.MethodPost, f.discovery()[0].URL, nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)
	require.Equal(t, "reserved", nextEvent(t, events)["event"])

	// Heartbeats stop: the runner leaves discovery, its session is released,
	// its O2R channel ends, and a late heartbeat is refused.
	eventually(t, func() bool { return len(f.discovery()) == 0 }, "expired runner hidden")
	eventually(t, func() bool { return len(f.reg.RunnerIDs()) == 0 }, "expired runner removed")
	require.Empty(t, f.reg.Sessions())
	for range events {
	}
	status, _, _ = f.do(http.MethodGet, sess.AppURL+"/echo/", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	hb := f.dynamicBody(map[string]any{"runner_id": reg.RunnerID})
	status, _, _ = f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestRunnerExpiredButNotSweptIs404(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{Secret: testSecret, HeartbeatInterval: time.Hour})
	status, reg, _ := f.heartbeat(testSecret, f.dynamicBody(nil))
	require.Equal(t, http.StatusOK, status)
	require.True(t, f.reg.ExpireRunner(reg.RunnerID))
	require.Empty(t, f.discovery())
	hb := f.dynamicBody(map[string]any{"runner_id": reg.RunnerID})
	status, _, body := f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "runner not found\n", body)
	// Reusing the id with the bootstrap secret is refused until the entry is gone.
	status, _, _ = f.heartbeat(testSecret, hb)
	require.Equal(t, http.StatusNotFound, status)
	require.True(t, f.reg.ForgetRunner(reg.RunnerID))
	status, _, _ = f.heartbeat(reg.HeartbeatSecret, hb)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.heartbeat(testSecret, hb)
	require.Equal(t, http.StatusOK, status)
}
