package livepeer

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// waitFor polls cond until it holds, failing t after a generous bound (the
// machine may be loaded: the bound is not a performance claim).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func poolEntry(gw *Gateway, capability, addr string) discovery.PoolEntry {
	c, _ := discovery.ParseCapability(capability)
	for _, e := range gw.Pool().Entries(&c) {
		if e.Addr == addr {
			return e
		}
	}
	return discovery.PoolEntry{}
}

func liveNet(t *testing.T, orchs int) *livepeertest.Network {
	return newNetwork(t, livepeertest.NetworkConfig{Orchestrators: orchs, Live: livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
}

// Issue 10 item 6: one of four orchestrators (the cheapest, so ranked
// first) answers 500 to every job request. Before, four Runs all went to it,
// each paid one ticket batch and none ran. Now the first Run fails over to
// the next orchestrator and the failing one is demoted for the Gateway's
// later calls: one batch wasted, four jobs run.
func TestRunDemotesAnOrchestratorThatFailsJobs(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{orchs: 4, price: 1000, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	orchs := e.net.Orchestrators()
	bad := orchs[0]
	require.NoError(t, bad.SetPrice("byoc/text-reversal", 500, 1))
	bad.FailHTTP("/process/request/", 100, http.StatusInternalServerError)
	_, err := e.gw.Orchestrators(testCtx(t), "byoc/text-reversal") // every answer in: the failing one ranks first
	require.NoError(t, err)
	for i := range 4 {
		res, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ab"})
		require.NoError(t, err, "Run %d", i)
		require.NotEqual(t, bad.URL(), res.Orchestrator)
	}
	require.Equal(t, 4, e.jobs())
	received := 0
	for _, o := range orchs {
		received += o.PaymentsReceived()
	}
	wasted := e.net.Signer().Calls("/generate-live-payment") - received
	require.Equal(t, 1, wasted, "one payment to the failing orchestrator, not one per Run")
	ent := poolEntry(e.gw, "byoc/text-reversal", bad.URL())
	require.Equal(t, 1, ent.JobFailures)
	require.True(t, time.Now().Before(ent.DemotedUntil))
}

// Stale auth token: an orchestrator whose tokens are due 3 s after issue.
// Once the cached token is due, a Live start pays with a fresh one: the
// signer never answers 480.
func TestPoolStaleAuthTokenRefreshedBeforeUse(t *testing.T) {
	checkNoLeak(t)
	n := liveNet(t, 1)
	o := n.Orchestrators()[0]
	o.SetAuthTokenValidity(discovery.AuthRefreshMargin + 3*time.Second)
	gw := newGateway(t, Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(),
		Pool: discovery.PoolOptions{MaxAge: time.Hour, BackoffMin: time.Hour, BackoffMax: time.Hour}})
	ctx := testCtx(t)
	infos, err := gw.Orchestrators(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	time.Sleep(time.Until(infos[0].AuthExpiry.Add(-discovery.AuthRefreshMargin))) // the cached token is due from here on
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	require.NoError(t, err)
	require.NoError(t, sess.Close())
	require.Zero(t, n.Signer().Refusals(signer.StatusRefreshSession), "paid with a fresh token, no 480")
	require.Positive(t, n.Signer().Calls("/generate-live-payment"))
}

// Ticket params expired on the shared block clock: the cached params of
// live-video-to-video/noop expire 40 blocks after issue. The chain moves 40
// blocks; a fresh answer (here for another model) shows it, the pool
// refreshes the expired params, and the next Live start pays without a 480.
func TestPoolTicketParamsExpiredOnBlockClockRefreshed(t *testing.T) {
	checkNoLeak(t)
	n := liveNet(t, 1)
	gw := newGateway(t, Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(),
		Pool: discovery.PoolOptions{MaxAge: time.Hour, BackoffMin: time.Hour, BackoffMax: time.Hour}})
	ctx := testCtx(t)
	infos, err := gw.Orchestrators(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	n.AdvanceBlocks(40) // the cached params are expired now
	_, err = gw.Orchestrators(ctx, "live-video-to-video/streamdiffusion")
	require.NoError(t, err)
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	require.NoError(t, err)
	require.NoError(t, sess.Close())
	require.Zero(t, n.Signer().Refusals(signer.StatusRefreshSession), "no payment refused for expired params")
	fresh := poolEntry(gw, "live-video-to-video/noop", infos[0].Addr)
	require.Greater(t, fresh.Info.TicketParams.ExpirationBlock.Int64(), infos[0].TicketParams.ExpirationBlock.Int64())
}

// A black-holed orchestrator is demoted (down: no longer a candidate) at
// its next refresh, and promoted back once it answers again.
func TestPoolBlackholedOrchestratorDemotedAndPromoted(t *testing.T) {
	checkNoLeak(t)
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 3})
	gw := newGateway(t, Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(), OrchestratorTimeout: 2 * time.Second,
		Pool: discovery.PoolOptions{MaxAge: 100 * time.Millisecond, BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond}})
	ctx := testCtx(t)
	const capability = "live-video-to-video/noop"
	infos, err := gw.Orchestrators(ctx, capability)
	require.NoError(t, err)
	require.Len(t, infos, 3)
	hole := n.Orchestrators()[0]
	hole.SetBlackhole(true)
	waitFor(t, "the black-holed orchestrator down", func() bool { return poolEntry(gw, capability, hole.Addr()).Down })
	infos, err = gw.Orchestrators(ctx, capability)
	require.NoError(t, err)
	require.Len(t, infos, 2)
	for _, in := range infos {
		require.NotEqual(t, hole.Addr(), in.Addr)
	}
	require.ErrorIs(t, poolEntry(gw, capability, hole.Addr()).Err, ErrOrchestratorUnavailable)

	hole.SetBlackhole(false)
	waitFor(t, "the orchestrator back", func() bool { e := poolEntry(gw, capability, hole.Addr()); return !e.Down && e.Info != nil })
	infos, err = gw.Orchestrators(ctx, capability)
	require.NoError(t, err)
	require.Len(t, infos, 3)
}

// A price change reaches the Gateway with the first refresh after it.
func TestPoolPriceChangePickedUpWithinOneRefresh(t *testing.T) {
	checkNoLeak(t)
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 2})
	gw := newGateway(t, Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(),
		Pool: discovery.PoolOptions{MaxAge: 50 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 10 * time.Millisecond}})
	ctx := testCtx(t)
	const capability = "live-video-to-video/noop"
	o := n.Orchestrators()[0]
	infos, err := gw.Orchestrators(ctx, capability)
	require.NoError(t, err)
	require.Len(t, infos, 2)
	require.NoError(t, o.SetPrice(capability, 3, 1))
	changed := time.Now()
	waitFor(t, "a refresh after the change", func() bool {
		e := poolEntry(gw, capability, o.Addr())
		return e.Info != nil && e.Info.FetchedAt.After(changed)
	})
	require.Equal(t, &discovery.Price{PricePerUnit: 3, PixelsPerUnit: 1}, poolEntry(gw, capability, o.Addr()).Info.Price,
		"the first refresh after the change carries the new price")
	infos, err = gw.Orchestrators(ctx, capability)
	require.NoError(t, err)
	require.Equal(t, o.Addr(), infos[len(infos)-1].Addr, "now the dearest")
}

// A Gateway never used starts nothing; one call, then Close, leaves no
// goroutine even with an orchestrator that never answers (its probe is
// cancelled); a capability never asked for has no pool entries.
func TestPoolLifecycle(t *testing.T) {
	checkNoLeak(t)
	n := newNetwork(t, livepeertest.NetworkConfig{Orchestrators: 2})
	n.Orchestrators()[0].SetBlackhole(true)
	defer n.Orchestrators()[0].SetBlackhole(false)
	before := runtime.NumGoroutine()
	gw, err := NewGateway(Config{SignerURL: n.SignerURL(), Orchestrators: n.OrchestratorAddrs(), OrchestratorTimeout: time.Minute})
	require.NoError(t, err)
	require.Equal(t, before, runtime.NumGoroutine(), "an unused Gateway starts nothing")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sel, err := gw.Select(ctx, "live-video-to-video/noop")
	require.NoError(t, err, "returned without waiting a minute for the black-holed one")
	_, err = sel.Next(ctx)
	require.NoError(t, err)
	sd := discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "streamdiffusion"}
	require.Nil(t, gw.Pool().Entries(&sd))
	require.NoError(t, gw.Close())
	_, err = gw.Select(ctx, "live-video-to-video/noop")
	require.ErrorIs(t, err, ErrClosed)
}

// BYOC jobs reuse the connection to an orchestrator: no new TLS connection
// per job (before: one per job).
func TestRunReusesJobConnections(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, orchs: 1, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	o := e.net.Orchestrators()[0]
	_, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ab"})
	require.NoError(t, err)
	conns := o.Connections()
	for range 5 {
		_, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ab"})
		require.NoError(t, err)
	}
	require.Equal(t, conns, o.Connections())
	u, _ := url.Parse(o.URL())
	require.Equal(t, 1, e.gw.jobs.Open(u.Host))
}

// An orchestrator that went away: the next job's connection fails, the
// job fails over, and the Gateway drops its connections to the dead one.
func TestRunDropsConnectionsToADeadOrchestrator(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, orchs: 2, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	res, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ab"})
	require.NoError(t, err)
	var dead *livepeertest.Orchestrator
	for _, o := range e.net.Orchestrators() {
		if o.URL() == res.Orchestrator {
			dead = o
		}
	}
	u, _ := url.Parse(dead.URL())
	require.Equal(t, 1, e.gw.jobs.Open(u.Host))
	dead.Close()
	res, err = e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ab"})
	require.NoError(t, err)
	require.NotEqual(t, dead.URL(), res.Orchestrator)
	require.Zero(t, e.gw.jobs.Open(u.Host))
	require.Positive(t, poolEntry(e.gw, "byoc/text-reversal", dead.URL()).JobFailures)
}
