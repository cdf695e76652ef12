package livepeertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func TestBlackholeCostsClientTimeout(t *testing.T) {
	checkNoLeak(t)
	o, err := newOrchestrator(orchestratorConfig{Offchain: true})
	require.NoError(t, err)
	defer o.Close()
	c := newRawClient(t)
	o.SetBlackhole(true)

	const timeout = 300 * time.Millisecond
	start := time.Now() // before the deadline is set: the wait is measured from no later than it
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{})
	cancel()
	elapsed := time.Since(start)
	require.Equal(t, connect.CodeDeadlineExceeded, connect.CodeOf(err), err)
	require.GreaterOrEqual(t, elapsed, timeout)
	require.Less(t, elapsed, timeout+2*time.Second)

	hc := &http.Client{Transport: c.http.Transport, Timeout: timeout}
	start = time.Now()
	_, err = hc.Post(o.URL()+"/payment", "", nil)
	require.Error(t, err)
	require.GreaterOrEqual(t, time.Since(start), timeout)

	o.SetBlackhole(false)
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{})
	require.NoError(t, err)
}

func TestBlackholeParksOpenConnections(t *testing.T) {
	checkNoLeak(t)
	o, err := newOrchestrator(orchestratorConfig{Offchain: true})
	require.NoError(t, err)
	c := newRawClient(t)
	resp, err := c.http.Post(o.URL()+"/payment", "", nil) // opens a connection that stays idle
	require.NoError(t, err)
	resp.Body.Close()
	o.SetBlackhole(true)
	hc := &http.Client{Transport: c.http.Transport, Timeout: 200 * time.Millisecond}
	_, err = hc.Post(o.URL()+"/payment", "", nil)
	require.Error(t, err)
	// A request parked when the orchestrator closes returns; Close waits for it.
	done := make(chan error, 1)
	go func() {
		r, err := c.http.Post(o.URL()+"/payment", "", nil)
		if err == nil {
			r.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	o.Close()
	o.Close() // idempotent
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("parked request did not end at Close")
	}
}

func TestOrchestratorFaults(t *testing.T) {
	checkNoLeak(t)
	o, err := newOrchestrator(orchestratorConfig{Offchain: true})
	require.NoError(t, err)
	defer o.Close()
	c := newRawClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	o.FailGetOrchestrator(2)
	for i := 0; i < 2; i++ {
		_, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{})
		require.Equal(t, connect.CodeUnknown, connect.CodeOf(err))
	}
	_, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{})
	require.NoError(t, err)

	o.SetLatency(150 * time.Millisecond)
	start := time.Now()
	_, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	o.SetLatency(0)

	o.FailHTTP("/payment", 1, http.StatusServiceUnavailable)
	resp, err := c.http.Post(o.URL()+"/payment", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, err = c.http.Post(o.URL()+"/payment", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode) // back to the real handler

	// Extension hook: routes added later share the port and the knobs.
	o.handle("GET /hello", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hi")) }))
	resp, err = c.http.Get(o.URL() + "/hello")
	require.NoError(t, err)
	require.Equal(t, "hi", string(readAll(t, resp.Body)))
	resp.Body.Close()
}

func TestSignerKnobs(t *testing.T) {
	checkNoLeak(t)
	s, err := newSigner(signerConfig{})
	require.NoError(t, err)
	defer s.Close()
	c := newRawClient(t)
	post := func() (int, []byte) {
		resp, err := c.http.Post(s.URL()+"/sign-orchestrator-info", "application/json", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode, readAll(t, resp.Body)
	}
	s.SetDown(true)
	code, body := post()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "Service Unavailable Error", errMessage(t, body))
	s.SetDown(false)

	s.FailNext("/sign-orchestrator-info", 1, http.StatusBadGateway)
	code, _ = post()
	require.Equal(t, http.StatusBadGateway, code)
	code, _ = post()
	require.Equal(t, http.StatusOK, code)

	s.SetLatency(100 * time.Millisecond)
	start := time.Now()
	code, _ = post()
	require.Equal(t, http.StatusOK, code)
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	require.Equal(t, 4, s.Calls("/sign-orchestrator-info"))
	s.Close()
	s.Close()
}
