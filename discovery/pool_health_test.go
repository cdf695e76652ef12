package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// An orchestrator whose GetOrchestrator fails is down (not a candidate),
// probed again with a doubling backoff, and back as a candidate after its
// first good answer.
func TestPoolDownOrchestratorBackedOffAndPromoted(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	a, b := startPoolOrch(t, 1, &block), startPoolOrch(t, 2, &block)
	p := newTestPool(t, []string{a.addr, b.addr}, time.Minute,
		PoolOptions{MaxAge: time.Hour, BackoffMin: 20 * time.Millisecond, BackoffMax: 80 * time.Millisecond})
	ctx := testCtx(t)
	ranked, _, err := p.Orchestrators(ctx, &trCap)
	require.NoError(t, err)
	require.Equal(t, []string{a.addr, b.addr}, addrsOf(ranked))

	a.fail.Store(true)
	_, err = p.Refresh(ctx, ranked[0]) // a payment session's refresh fails: a is down
	require.Error(t, err)
	waitFor(t, "three failed probes", func() bool { e, _ := entryOf(p, &trCap, a.addr); return e.Failures >= 3 })
	e, _ := entryOf(p, &trCap, a.addr)
	require.True(t, e.Down)
	require.ErrorIs(t, e.Err, lperr.ErrOrchestratorUnavailable)
	ranked, rejections, err := p.Orchestrators(ctx, &trCap)
	require.NoError(t, err)
	require.Equal(t, []string{b.addr}, addrsOf(ranked), "a down orchestrator is not a candidate")
	require.Equal(t, a.addr, rejections[0].Orchestrator)

	a.fail.Store(false)
	waitFor(t, "the orchestrator back", func() bool { e, _ := entryOf(p, &trCap, a.addr); return !e.Down && e.Info != nil })
	e, _ = entryOf(p, &trCap, a.addr)
	require.Zero(t, e.Failures)
	ranked, _, err = p.Orchestrators(ctx, &trCap)
	require.NoError(t, err)
	require.Equal(t, []string{a.addr, b.addr}, addrsOf(ranked), "promoted back to its rank")
}

// When every orchestrator of a warm key is down, a call probes them all at
// once instead of failing until their backoff ends.
func TestPoolAllDownReprobedByACall(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	a := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{a.addr}, time.Minute, PoolOptions{MaxAge: time.Hour, BackoffMin: time.Hour, BackoffMax: time.Hour})
	ctx := testCtx(t)
	_, err := p.Select(ctx, &trCap)
	require.NoError(t, err)
	a.fail.Store(true)
	_, _ = p.Refresh(ctx, &Info{Addr: a.addr, Requested: &trCap})
	e, _ := entryOf(p, &trCap, a.addr)
	require.True(t, e.Down)
	_, err = p.Select(ctx, &trCap)
	require.ErrorIs(t, err, lperr.ErrNoOrchestrator, "still failing")
	a.fail.Store(false)
	sel, err := p.Select(ctx, &trCap)
	require.NoError(t, err, "re-probed at once, not after an hour")
	in, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, a.addr, in.Addr)
}

// A job failure reported through the Selector demotes the orchestrator
// for later calls (it ranks after the healthy ones, still a last resort),
// doubling with repeated failures; once the demotion ends it is back at its
// rank.
func TestPoolReportedFailureDemotes(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	cheap, dear := startPoolOrch(t, 1, &block), startPoolOrch(t, 2, &block)
	p := newTestPool(t, []string{cheap.addr, dear.addr}, time.Minute,
		PoolOptions{MaxAge: time.Hour, BackoffMin: time.Second, BackoffMax: time.Minute})
	ctx := testCtx(t)
	_, _, err := p.Orchestrators(ctx, &trCap) // the whole first round
	require.NoError(t, err)
	sel, err := p.Select(ctx, &trCap)
	require.NoError(t, err)
	in, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, cheap.addr, in.Addr)
	fail := &lperr.APIError{Op: "process/request", StatusCode: 500, Kind: lperr.ErrOrchestratorUnavailable}
	sel.Reject(in, fail)

	sel, err = p.Select(ctx, &trCap)
	require.NoError(t, err)
	require.Equal(t, []string{dear.addr, cheap.addr}, addrsOf(sel.Candidates()), "demoted, still a last resort")
	e, _ := entryOf(p, &trCap, cheap.addr)
	require.Equal(t, 1, e.JobFailures)
	first := e.DemotedUntil

	p.Report(in, fail) // again: the demotion doubles
	e, _ = entryOf(p, &trCap, cheap.addr)
	require.Equal(t, 2, e.JobFailures)
	require.Greater(t, e.DemotedUntil.Sub(first), 500*time.Millisecond)

	time.Sleep(time.Until(e.DemotedUntil)) // wall-clock condition: the demotion is over
	sel, err = p.Select(ctx, &trCap)
	require.NoError(t, err)
	require.Equal(t, []string{cheap.addr, dear.addr}, addrsOf(sel.Candidates()))
}

func TestClassifyReport(t *testing.T) {
	urlErr := &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		name string
		err  error
		want reportAction
	}{
		{"worker failed", fmt.Errorf("x: %w", lperr.ErrJobFailed), 0},
		{"out of credit", &lperr.APIError{StatusCode: 400, Kind: lperr.ErrInsufficientBalance}, 0},
		{"signer down", fmt.Errorf("x: %w", lperr.ErrSignerUnavailable), 0},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), 0},
		{"bad request", &lperr.APIError{StatusCode: 400}, 0},
		{"signer asks for a refresh", fmt.Errorf("x: %w", lperr.ErrRefreshSession), actRefresh},
		{"price above the ceiling", fmt.Errorf("x: %w", lperr.ErrPriceExceeded), actRefresh},
		{"payment refused", &lperr.APIError{StatusCode: 402, Kind: lperr.ErrPaymentFailed}, actRefresh | actDemote},
		{"5xx", &lperr.APIError{StatusCode: 500, Kind: lperr.ErrOrchestratorUnavailable}, actRefresh | actDemote},
		{"no capacity", fmt.Errorf("x: %w", lperr.ErrOrchestratorUnavailable), actRefresh | actDemote},
		{"unreachable", fmt.Errorf("x: %w: %w", lperr.ErrOrchestratorUnavailable, urlErr), actRefresh | actDemote | actUnreachable},
	} {
		require.Equal(t, tc.want, classifyReport(tc.err), tc.name)
	}
}

// A job request that could not reach the orchestrator drops the
// connections to it (the pool's Client's and, through OnUnreachable, the
// caller's).
func TestPoolUnreachableReportDropsConnections(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	c := newTestClient(t, ClientConfig{Timeout: time.Minute})
	var mu sync.Mutex
	var dropped []string
	p, err := NewPool(PoolConfig{Source: List([]string{o.addr}), Client: c, Options: PoolOptions{MaxAge: time.Hour},
		OnUnreachable: func(addr, transcoder string) { mu.Lock(); dropped = append(dropped, transcoder); mu.Unlock() }})
	require.NoError(t, err)
	defer p.Close()
	ctx := testCtx(t)
	sel, err := p.Select(ctx, &trCap)
	require.NoError(t, err)
	in, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, c.OpenConnections(o.addr))
	sel.Reject(in, fmt.Errorf("job: %w: %w", lperr.ErrOrchestratorUnavailable,
		&url.Error{Op: "Post", URL: in.Transcoder, Err: &net.OpError{Op: "read", Err: errors.New("connection reset")}}))
	mu.Lock()
	require.Equal(t, []string{in.Transcoder}, dropped)
	mu.Unlock()
	waitFor(t, "the refresh after the report", func() bool { e, _ := entryOf(p, &trCap, o.addr); return !e.Probing && e.Info != in })
	e, _ := entryOf(p, &trCap, o.addr)
	require.False(t, e.Down, "the refresh dialled afresh, it was not cut by the eviction")
	mu.Lock()
	require.Len(t, dropped, 1)
	mu.Unlock()
}

// A GetOrchestrator that times out on a connection that used to work
// closes that connection (busy or idle) instead of keeping it: the
// orchestrator sees it closed.
func TestClientEvictsConnectionsOfADeadOrchestrator(t *testing.T) {
	checkNoLeak(t)
	var hang atomic.Bool
	f := startOrch(t, func(ctx context.Context, _ *lpnetRequest) (*lpnetInfo, error) {
		if hang.Load() {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return lv2vInfo(1, "noop"), nil
	})
	c := newTestClient(t, ClientConfig{Timeout: 200 * time.Millisecond})
	ctx := testCtx(t)
	_, err := c.GetOrchestrator(ctx, f.addr, nil)
	require.NoError(t, err)
	require.Equal(t, 1, c.OpenConnections(f.addr))
	hang.Store(true)
	_, err = c.GetOrchestrator(ctx, f.addr, nil)
	var re *RPCError
	require.ErrorAs(t, err, &re)
	require.True(t, re.transportFailure())
	require.Zero(t, c.OpenConnections(f.addr), "closed at once")
	waitFor(t, "the orchestrator to see it closed", func() bool { return f.gone.Load() == f.conns.Load() })

	hang.Store(false)
	_, err = c.GetOrchestrator(ctx, f.addr, nil)
	require.NoError(t, err, "a later call connects afresh")
	require.EqualValues(t, 2, f.conns.Load())
}
