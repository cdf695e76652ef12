package livepeer

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

const scopeSecret = "scope-secret"

// startScopeRunner registers a Go Scope-like runner (worker.Scope over
// package runner, copying each segment) with orchestrator o.
func startScopeRunner(t *testing.T, orch string, video runner.VideoFunc) *runner.Runner {
	t.Helper()
	app := httptest.NewUnstartedServer(nil)
	t.Cleanup(app.Close)
	r, err := runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: orch, Secret: scopeSecret}},
		Registration: runner.Registration{URL: "http://" + app.Listener.Addr().String(), App: "live-video-to-video/scope",
			Capacity: 1, Price: &runner.Price{USD: "0.00025", Unit: runner.Per720p}},
	})
	require.NoError(t, err)
	app.Config.Handler = worker.Scope(r, video)
	app.Start()
	require.NoError(t, r.Start(context.Background()))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// Live on live-video-to-video/scope goes through a live runner: video in,
// video out, control in, events out, payments underneath, and Close stops
// the runner session. The signer lists the address for
// live-video-to-video/scope only because of its runner, so no
// GetOrchestrator ever asks it for that capability.
func TestLiveScopeThroughRunner(t *testing.T) {
	checkNoLeak(t)
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 2,
		Runners: &livepeertest.RunnersConfig{Secret: scopeSecret, PaymentInterval: 200 * time.Millisecond}})
	require.NoError(t, err)
	defer n.Close()
	o := n.Orchestrators()[0]
	startScopeRunner(t, o.URL(), nil)
	gw, err := NewGateway(Config{Token: n.Token()})
	require.NoError(t, err)
	defer gw.Close()
	ctx := testCtx(t)

	// The pitfall: signer discovery lists o for live-video-to-video/scope
	// (its runner's app), but o has no such capability for GetOrchestrator.
	before := o.GetOrchestratorCalls()
	_, err = gw.Select(ctx, "live-video-to-video/scope")
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.Equal(t, before, o.GetOrchestratorCalls(), "no GetOrchestrator for a runner-only capability")

	sess, err := gw.Live(ctx, "live-video-to-video/scope", map[string]any{"prompt": "a cat"}, WithPaymentInterval(50*time.Millisecond))
	require.NoError(t, err)
	info := sess.Info()
	require.Equal(t, "runner", info.Kind)
	require.Equal(t, o.URL(), info.Orchestrator)
	require.NotEmpty(t, info.PublishURL)
	require.NotEmpty(t, info.SubscribeURL)
	require.Equal(t, before, o.GetOrchestratorCalls())
	sessions := n.Runners()[0].Sessions()
	require.Len(t, sessions, 1)
	require.Equal(t, info.ManifestID, sessions[0].SessionID)

	got := make(chan []byte, 4)
	go func() {
		for seg, err := range sess.Subscribe(ctx) {
			if err != nil {
				return
			}
			b, _ := io.ReadAll(seg)
			got <- b
		}
	}()
	require.NoError(t, sess.Publish(ctx, strings.NewReader("segment-0")))
	select {
	case b := <-got:
		require.Equal(t, "segment-0", string(b))
	case <-ctx.Done():
		t.Fatal("no output")
	}
	require.NoError(t, sess.Update(ctx, map[string]any{"prompt": "a dog"}))
	for ev, err := range sess.Events(ctx) {
		require.NoError(t, err)
		if ev.Type == "params_update" {
			require.Contains(t, string(ev.Data), "a dog")
			break
		}
	}
	require.Eventually(t, func() bool { s := n.Runners()[0].Sessions(); return len(s) == 1 && s[0].Charges >= 2 },
		10*time.Second, 10*time.Millisecond, "the runner session is paid and charged")
	require.NoError(t, sess.Close())
	require.NoError(t, sess.Err())
	require.Empty(t, n.Runners()[0].Sessions(), "stopped on the orchestrator")
}

// With no Scope runner, Live falls back to an orchestrator's /scope route,
// which (as go-livepeer master) gives control and events only: media calls
// fail with ErrNoMediaChannel, control and events work, payments are made.
func TestLiveScopeThroughRoute(t *testing.T) {
	for _, offchain := range []bool{false, true} {
		t.Run(map[bool]string{false: "onchain", true: "offchain"}[offchain], func(t *testing.T) {
			checkNoLeak(t)
			caps := append(livepeertest.DefaultCapabilities(), livepeertest.CapabilitySpec{Name: "live-video-to-video/scope", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: 2})
			n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Offchain: offchain, Capabilities: caps,
				Runners: &livepeertest.RunnersConfig{}, Live: livepeertest.LiveConfig{DebitInterval: 100 * time.Millisecond}})
			require.NoError(t, err)
			defer n.Close()
			gw, err := NewGateway(Config{Token: n.Token()})
			require.NoError(t, err)
			defer gw.Close()
			ctx := testCtx(t)
			sess, err := gw.Live(ctx, "live-video-to-video/scope", map[string]any{"prompt": "x"}, WithPaymentInterval(50*time.Millisecond))
			require.NoError(t, err)
			defer sess.Close()
			info := sess.Info()
			require.Equal(t, "lv2v", info.Kind)
			require.Empty(t, info.PublishURL)
			require.Empty(t, info.SubscribeURL)
			require.NotEmpty(t, info.ControlURL)
			_, err = sess.NextSegment(ctx)
			require.ErrorIs(t, err, ErrNoMediaChannel)
			require.ErrorIs(t, sess.Publish(ctx, bytes.NewReader(nil)), ErrNoMediaChannel)
			for _, err := range sess.Subscribe(ctx) {
				require.ErrorIs(t, err, ErrNoMediaChannel)
			}
			require.NoError(t, sess.Control(ctx, map[string]any{"prompt": "y"}))
			for ev, err := range sess.Events(ctx) {
				require.NoError(t, err)
				if ev.Type == "params_update" {
					break
				}
			}
			if !offchain {
				paid := n.Orchestrators()[0].PaymentsReceived()
				require.Eventually(t, func() bool { return n.Orchestrators()[0].PaymentsReceived() > paid }, 10*time.Second, 10*time.Millisecond, "payments")
			}
			require.NoError(t, sess.Close())
			require.NoError(t, sess.Err())
			require.Eventually(t, func() bool {
				st, _ := n.Live()[0].Stream(info.ManifestID)
				return st.EndReason != ""
			}, 10*time.Second, 10*time.Millisecond, "the stream ends with the session")
		})
	}
}
