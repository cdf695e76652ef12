package runner_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

func TestRegisterAndHeartbeatWithDerivedSecret(t *testing.T) {
	e := newEnv(t, 2, false, livepeertest.RunnersConfig{HeartbeatInterval: 50 * time.Millisecond})
	r := e.start(e.runnerConfig(), http.NotFoundHandler())
	st := r.Status()
	require.Len(t, st, 2)
	for i, s := range st {
		require.True(t, s.Registered)
		require.Equal(t, 50*time.Millisecond, s.Interval, "the interval the orchestrator returned")
		require.Equal(t, livepeertest.DefaultRunnerHeartbeatTTL, s.TTL)
		d := e.discovery(i)
		require.Len(t, d, 1)
		require.Equal(t, e.n.Orchestrators()[i].URL()+"/apps/"+s.RunnerID+"/session", d[0].URL)
		require.Equal(t, "test/go-runner", d[0].App)
		require.Equal(t, "400000000000", d[0].PriceInfo.Price.String())
	}
	// Heartbeats flow with the derived secret: a bootstrap-secret heartbeat
	// would be refused (401) and force a re-registration.
	eventually(t, func() bool { return r.Status()[0].Heartbeats >= 3 && r.Status()[1].Heartbeats >= 3 }, "heartbeats")
	for _, s := range r.Status() {
		require.Equal(t, 1, s.Registrations)
		require.NoError(t, s.LastError)
	}
	creds := r.Credentials()
	require.NotEmpty(t, creds[0].HeartbeatSecret)
	require.NotEqual(t, secret, creds[0].HeartbeatSecret)
	require.NotEqual(t, creds[0].HeartbeatSecret, creds[1].HeartbeatSecret)
	require.Equal(t, e.n.Orchestrators()[0].URL(), creds[0].Orchestrator)
	require.NotEmpty(t, creds[0].O2RURL)

	// Close unregisters everywhere.
	require.NoError(t, r.Close())
	for i := range 2 {
		require.Empty(t, e.n.Runners()[i].RunnerIDs())
	}
	require.ErrorIs(t, r.Update(context.Background(), func(*runner.Registration) {}), runner.ErrClosed)
}

func TestReRegisterWhenForgotten(t *testing.T) {
	for _, c := range []struct {
		name   string
		forget func(reg *livepeertest.RunnerRegistry, id string) bool
	}{
		{"401 removed", (*livepeertest.RunnerRegistry).ForgetRunner},
		{"404 expired", (*livepeertest.RunnerRegistry).ExpireRunner},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, 1, true, livepeertest.RunnersConfig{HeartbeatInterval: 50 * time.Millisecond})
			var sessions atomic.Int32
			cfg := e.runnerConfig()
			cfg.OnSession = func(s *runner.Session) {
				sessions.Add(1)
				<-s.Context().Done()
			}
			r := e.start(cfg, http.NotFoundHandler())
			reg := e.n.Runners()[0]
			old := r.Status()[0].RunnerID
			sess := e.reserve(e.discovery(0)[0].URL)
			eventually(t, func() bool { return len(r.Sessions()) == 1 }, "session learned from O2R")
			s := r.Sessions()[0]
			require.Equal(t, sess.SessionID, s.ID())

			require.True(t, c.forget(reg, old))
			eventually(t, func() bool {
				st := r.Status()[0]
				return st.Registered && st.RunnerID != old
			}, "registered again under a new id")
			require.Equal(t, 2, r.Status()[0].Registrations)
			<-s.Context().Done() // the forgotten registration's session ended
			ended, why := s.Ended()
			require.True(t, ended)
			require.NotEmpty(t, why)
			eventually(t, func() bool {
				d := e.discovery(0)
				return len(d) == 1 && d[0].URL == e.n.Orchestrators()[0].URL()+"/apps/"+r.Status()[0].RunnerID+"/session"
			}, "discoverable under the new id")
		})
	}
}

func TestPartitionTTLExpiryAndRecovery(t *testing.T) {
	e := newEnv(t, 1, true, livepeertest.RunnersConfig{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTTL: 300 * time.Millisecond})
	r := e.start(e.runnerConfig(), http.NotFoundHandler())
	old := r.Status()[0].RunnerID
	require.Len(t, e.discovery(0), 1)

	// Heartbeats stop reaching the orchestrator: the runner leaves discovery.
	e.partit.Store(true)
	eventually(t, func() bool { return len(e.discovery(0)) == 0 }, "expired runner leaves discovery")
	eventually(t, func() bool { return errors.Is(r.Status()[0].LastError, errPartition) }, "the failure is reported")

	// The network comes back: the orchestrator has forgotten it, it registers again.
	e.partit.Store(false)
	eventually(t, func() bool { return len(e.discovery(0)) == 1 }, "back in discovery")
	require.NotEqual(t, old, r.Status()[0].RunnerID)
}

func TestUpdateIsLive(t *testing.T) {
	e := newEnv(t, 1, false, livepeertest.RunnersConfig{})
	r := e.start(e.runnerConfig(), http.NotFoundHandler())
	ctx := context.Background()
	require.NoError(t, r.Update(ctx, func(g *runner.Registration) {
		g.Capacity = 5
		g.Version = "2.0"
		g.Metadata = `{"region":"test"}`
		g.GPU = &runner.GPU{Name: "NVIDIA L40S", VRAMMB: 46068}
		g.Price = &runner.Price{USD: "0.01", Unit: runner.Fixed}
	}))
	d := e.discovery(0)
	require.Len(t, d, 1)
	require.Equal(t, 5, d[0].Capacity)
	require.Equal(t, "2.0", d[0].Version)
	require.Equal(t, `{"region":"test"}`, d[0].Metadata)
	require.Equal(t, "NVIDIA L40S", d[0].GPU.Name)
	require.Equal(t, "fixed", d[0].PriceInfo.Unit)
	require.Equal(t, "4000000000000", d[0].PriceInfo.Price.String())

	require.NoError(t, r.Update(ctx, func(g *runner.Registration) { g.Status = "draining" }))
	require.Empty(t, e.discovery(0), "not ready: hidden")
	require.NoError(t, r.Update(ctx, func(g *runner.Registration) { g.Status = "" }))
	require.Len(t, e.discovery(0), 1)

	for _, bad := range []func(*runner.Registration){
		func(g *runner.Registration) { g.Status = "Busy" },
		func(g *runner.Registration) { g.Capacity = -1 },
		func(g *runner.Registration) { g.App = "other" },
		func(g *runner.Registration) { g.Price = &runner.Price{USD: "free"} },
	} {
		require.ErrorIs(t, r.Update(ctx, bad), runner.ErrInvalidConfig)
	}
	require.Equal(t, 5, e.discovery(0)[0].Capacity, "a refused update changes nothing")
}

func TestStartRefused(t *testing.T) {
	e := newEnv(t, 1, false, livepeertest.RunnersConfig{})
	cfg := e.runnerConfig()
	cfg.Orchestrators[0].Secret = "wrong"
	r, err := runner.New(cfg)
	require.NoError(t, err)
	err = r.Start(context.Background())
	var re *runner.RefusedError
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusUnauthorized, re.StatusCode)
	require.Equal(t, "register", re.Op)
	require.Equal(t, "invalid registration authorization", re.Message)
	require.ErrorIs(t, err, runner.ErrRefused)
	require.ErrorIs(t, err, runner.ErrUnauthorized)
	require.NoError(t, r.Close())

	// On-chain without a price: 400, with go-livepeer's reason.
	cfg = e.runnerConfig()
	cfg.Registration.Price = nil
	r, err = runner.New(cfg)
	require.NoError(t, err)
	err = r.Start(context.Background())
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusBadRequest, re.StatusCode)
	require.Contains(t, re.Message, "price_info.price")
	require.NoError(t, r.Close())

	// Two orchestrators, one refusing: nothing stays registered.
	e2 := newEnv(t, 2, true, livepeertest.RunnersConfig{})
	cfg = e2.runnerConfig()
	cfg.Orchestrators[1].Secret = "wrong"
	r, err = runner.New(cfg)
	require.NoError(t, err)
	require.ErrorIs(t, r.Start(context.Background()), runner.ErrUnauthorized)
	require.Empty(t, e2.n.Runners()[0].RunnerIDs(), "the accepted registration was withdrawn")
	require.NoError(t, r.Close())
}

func TestStartRetriesUnreachableUntilContextEnds(t *testing.T) {
	checkNoLeak(t)
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer dead.Close()
	r, err := runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: dead.URL, Secret: "s"}},
		Registration:  runner.Registration{URL: "http://127.0.0.1:1", App: "a/b"},
		MinBackoff:    5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = r.Start(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var re *runner.RefusedError
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusServiceUnavailable, re.StatusCode)
}

func TestRefusedReRegistrationBacksOff(t *testing.T) {
	checkNoLeak(t)
	var registrations, heartbeats atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "s": // bootstrap: the first registration passes, the next ones are refused
			if registrations.Add(1) == 1 {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"runner_id":"runner_a","heartbeat_interval":"10ms","heartbeat_ttl":"1s","heartbeat_secret":"hb","session_ids":[]}`))
				return
			}
			http.Error(w, "capacity must be >= 0", http.StatusBadRequest)
		default:
			heartbeats.Add(1)
			http.Error(w, "invalid registration authorization", http.StatusUnauthorized)
		}
	}))
	defer fake.Close()
	r, err := runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: fake.URL, Secret: "s"}},
		Registration:  runner.Registration{URL: "http://127.0.0.1:1", App: "a/b"},
		MinBackoff:    5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background()))
	eventually(t, func() bool { return registrations.Load() >= 4 }, "re-registration retried")
	st := r.Status()[0]
	require.False(t, st.Registered)
	var re *runner.RefusedError
	require.ErrorAs(t, st.LastError, &re)
	require.Equal(t, http.StatusBadRequest, re.StatusCode)
	require.Equal(t, int32(1), heartbeats.Load(), "a forgotten registration is not heartbeated again")
	require.NoError(t, r.Close())
}
