package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/runner"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

type whoami struct {
	ID, Route, Control string
	HasToken, Tracked  bool
}

// whoamiHandler answers the request's session.
func whoamiHandler(r **runner.Runner) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s, ok := runner.SessionFrom(req.Context())
		if !ok {
			http.Error(w, "no session", http.StatusBadRequest)
			return
		}
		tracked := false
		for _, t := range (*r).Sessions() {
			tracked = tracked || t == s
		}
		_ = json.NewEncoder(w).Encode(whoami{ID: s.ID(), Route: s.Route(), Control: s.ControlURL(), HasToken: s.Token() != "", Tracked: tracked})
	})
}

func TestHandlerSessionAndCallbacks(t *testing.T) {
	e := newEnv(t, 1, true, livepeertest.RunnersConfig{})
	var r *runner.Runner
	var seen atomic.Int32
	cfg := e.runnerConfig()
	cfg.OnSession = func(*runner.Session) { seen.Add(1) }
	r = e.start(cfg, whoamiHandler(&r))
	id := r.Status()[0].RunnerID
	sess := e.reserve(e.discovery(0)[0].URL)

	status, body := e.do(http.MethodGet, sess.AppURL+"/whoami", nil, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var who whoami
	require.NoError(t, json.Unmarshal(body, &who))
	require.Equal(t, whoami{ID: sess.SessionID, Route: id, Control: e.n.Orchestrators()[0].URL() + "/runner/" + id + "/session/" + sess.SessionID,
		HasToken: true, Tracked: true}, who)
	eventually(t, func() bool { return seen.Load() == 1 }, "OnSession once")
	// A request without the headers has no session.
	status, _ = e.do(http.MethodGet, e.app.URL+"/whoami", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)

	s := r.Sessions()[0]
	ctx := context.Background()

	// Channels, opened with the trickle publisher and subscriber.
	chans, err := s.CreateChannels(ctx, runner.ChannelSpec{Name: "data", MimeType: "application/json"}, runner.ChannelSpec{Name: "bin"})
	require.NoError(t, err)
	require.Len(t, chans, 2)
	require.Equal(t, sess.SessionID+"-data", chans[0].ChannelName)
	require.Equal(t, "application/octet-stream", chans[1].MimeType)
	pub, err := chans[0].Publisher(trickle.PublisherConfig{})
	require.NoError(t, err)
	defer pub.Close()
	sub, err := trickle.NewSubscriber(chans[0].URL, trickle.SubscriberConfig{}) // the client's side: the public URL
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, pub.Write(ctx, strings.NewReader(`{"n":1}`)))
	seg, err := sub.Next(ctx)
	require.NoError(t, err)
	b, _ := io.ReadAll(seg)
	seg.Close()
	require.Equal(t, `{"n":1}`, string(b))
	require.NoError(t, s.DeleteChannels(ctx, "bin"))
	err = s.DeleteChannels(ctx, "bin")
	var ce *runner.CallbackError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, http.StatusNotFound, ce.StatusCode)
	require.NotErrorIs(t, err, runner.ErrSessionGone, "an unknown channel is not a gone session")

	// Proxies reach the same session.
	p, err := s.CreateProxy(ctx, "")
	require.NoError(t, err)
	status, body = e.do(http.MethodGet, p.URL+"/whoami", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &who))
	require.Equal(t, sess.SessionID, who.ID)
	_, err = s.CreateProxy(ctx, "http://example.com/")
	require.ErrorAs(t, err, &ce)
	require.Equal(t, http.StatusBadRequest, ce.StatusCode)

	// A request that did not come through the orchestrator cannot replace
	// a session's token.
	status, _ = e.do(http.MethodGet, e.app.URL+"/whoami", nil, map[string]string{
		runner.HeaderSession: sess.SessionID, runner.HeaderRoute: id, runner.HeaderToken: "forged",
		runner.HeaderControl: s.ControlURL(),
	})
	require.Equal(t, http.StatusOK, status)
	require.Len(t, r.Sessions(), 1)

	// A wrong token is refused (a session of a registration made elsewhere,
	// with forged headers).
	forged := captureSession(t, e, r, s.ControlURL(), sess.SessionID, "forged")
	_, err = forged.CreateChannels(ctx, runner.ChannelSpec{Name: "x"})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, http.StatusUnauthorized, ce.StatusCode)
	require.ErrorIs(t, err, runner.ErrUnauthorized)
	require.ErrorIs(t, forged.Stop(ctx), runner.ErrUnauthorized)
	require.Len(t, e.n.Runners()[0].Sessions(), 1, "refused callbacks changed nothing")

	// Stop: released on the orchestrator, ended here.
	require.NoError(t, s.Stop(ctx))
	<-s.Context().Done()
	ended, why := s.Ended()
	require.True(t, ended)
	require.Contains(t, []string{"stopped", "released"}, why, "Stop's answer or the O2R event, whichever came first")
	require.Empty(t, e.n.Runners()[0].Sessions())
	require.ErrorIs(t, s.Stop(ctx), runner.ErrSessionGone)
	// go-livepeer's trickle server removes the channels: a GET parked at the
	// live edge gets the end-of-stream signal, a later one 404 (vanished).
	_, err = sub.Next(ctx)
	require.True(t, errors.Is(err, trickle.ErrEndOfStream) || errors.Is(err, trickle.ErrStreamNotFound), "the session's channels closed: %v", err)
}

// captureSession serves one forged request through r.Handler and returns
// the Session it carried.
func captureSession(t *testing.T, e *env, r *runner.Runner, control, id, token string) *runner.Session {
	t.Helper()
	var got *runner.Session
	h := r.Handler(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { got, _ = runner.SessionFrom(req.Context()) }))
	req, err := http.NewRequest(http.MethodGet, "/", nil)
	require.NoError(t, err)
	req.Header.Set(runner.HeaderSession, id)
	req.Header.Set(runner.HeaderRoute, "static-label")
	req.Header.Set(runner.HeaderToken, token)
	req.Header.Set(runner.HeaderControl, control)
	h.ServeHTTP(noopWriter{}, req)
	require.NotNil(t, got)
	return got
}

type noopWriter struct{}

func (noopWriter) Header() http.Header         { return http.Header{} }
func (noopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (noopWriter) WriteHeader(int)             {}

func TestReconcileAfterRestart(t *testing.T) {
	e := newEnv(t, 1, true, livepeertest.RunnersConfig{HeartbeatInterval: 50 * time.Millisecond})
	var r1 *runner.Runner
	r1 = e.start(e.runnerConfig(), whoamiHandler(&r1))
	sess := e.reserve(e.discovery(0)[0].URL)
	eventually(t, func() bool { return len(r1.Sessions()) == 1 }, "first process learns the session")
	creds := r1.Credentials()[0]

	// The process dies: its unregistration never reaches the orchestrator.
	e.partit.Store(true)
	require.Error(t, r1.Close())
	e.partit.Store(false)
	require.Len(t, e.n.Runners()[0].Sessions(), 1)

	// A new process resumes the registration and learns the live session.
	var r2 *runner.Runner
	learned := make(chan *runner.Session, 4)
	cfg := e.runnerConfig()
	cfg.Orchestrators[0].Resume = &creds
	cfg.OnSession = func(s *runner.Session) { learned <- s }
	r2 = e.start(cfg, whoamiHandler(&r2))
	st := r2.Status()[0]
	require.Equal(t, creds.RunnerID, st.RunnerID, "the registration was resumed, not replaced")
	require.Equal(t, 0, st.Registrations)
	var s *runner.Session
	select {
	case s = <-learned:
	case <-time.After(10 * time.Second):
		t.Fatal("the resumed session was not learned")
	}
	require.Equal(t, sess.SessionID, s.ID())
	require.Empty(t, s.Token(), "no request has brought its token yet")
	_, err := s.CreateChannels(context.Background(), runner.ChannelSpec{Name: "x"})
	require.ErrorIs(t, err, runner.ErrNoSession)
	status, _ := e.do(http.MethodGet, sess.AppURL+"/whoami", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, s.Token())

	// A session the orchestrator does not list ends at the next heartbeat.
	ghost := captureSession(t, e, r2, e.n.Orchestrators()[0].URL()+"/runner/"+creds.RunnerID+"/session/ghost", "ghost", "t")
	require.Equal(t, "static-label", ghost.Route(), "a forged route is not tracked")
	status, _ = e.do(http.MethodGet, e.app.URL+"/whoami", nil, map[string]string{
		runner.HeaderSession: "ghost", runner.HeaderRoute: creds.RunnerID, runner.HeaderToken: "t",
		runner.HeaderControl: e.n.Orchestrators()[0].URL() + "/runner/" + creds.RunnerID + "/session/ghost",
	})
	require.Equal(t, http.StatusOK, status)
	require.Len(t, r2.Sessions(), 2)
	eventually(t, func() bool { return len(r2.Sessions()) == 1 }, "the unlisted session ends")

	// The client stops: the O2R event ends the session.
	status, _ = e.do(http.MethodPost, sess.ControlURL+"/stop", nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	<-s.Context().Done()
	eventually(t, func() bool { return len(r2.Sessions()) == 0 }, "released")
}
