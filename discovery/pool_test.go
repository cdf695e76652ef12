package discovery

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// The first Select on a cold key returns once Grace has passed after the
// first qualifying answer, without waiting for an orchestrator that never
// answers (its timeout is far longer than the test's deadline); the
// black-holed one is still being asked when Select returns.
func TestPoolColdStartGrace(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	fast := startPoolOrch(t, 1, &block)
	hole := blackhole(t)
	p := newTestPool(t, []string{hole, fast.addr}, time.Minute, PoolOptions{Grace: 20 * time.Millisecond, Quorum: 100})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sel, err := p.Select(ctx, &noopCap)
	require.NoError(t, err, "returned before the black-holed orchestrator's minute")
	e, ok := entryOf(p, &noopCap, hole)
	require.True(t, ok)
	require.True(t, e.Probing, "the slow one keeps being asked in the background")
	in, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, fast.addr, in.Addr)
}

// Quorum: with a grace of an hour, Select returns once Quorum orchestrators
// qualified.
func TestPoolColdStartQuorum(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	a, b := startPoolOrch(t, 1, &block), startPoolOrch(t, 2, &block)
	p := newTestPool(t, []string{blackhole(t), a.addr, b.addr}, time.Minute, PoolOptions{Grace: time.Hour, Quorum: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sel, err := p.Select(ctx, &noopCap)
	require.NoError(t, err)
	require.Equal(t, []string{a.addr, b.addr}, addrsOf(sel.Candidates()), "cheapest first")
}

// Orchestrators waits for every first answer: the slow one is listed.
func TestPoolOrchestratorsWaitsForTheFirstRound(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	fast, slow := startPoolOrch(t, 2, &block), startPoolOrch(t, 1, &block)
	release := slow.hold()
	p := newTestPool(t, []string{fast.addr, slow.addr}, time.Minute, PoolOptions{Grace: time.Millisecond})
	done := make(chan []*Info, 1)
	go func() {
		ranked, _, err := p.Orchestrators(testCtx(t), &noopCap)
		if err != nil {
			t.Error(err)
		}
		done <- ranked
	}()
	waitFor(t, "the fast answer", func() bool { e, _ := entryOf(p, &noopCap, fast.addr); return e.Info != nil })
	release()
	ranked := <-done
	require.Equal(t, []string{slow.addr, fast.addr}, addrsOf(ranked), "the slow one is cheaper")
}

// A Selector that runs out of candidates takes the answers that arrived
// after Select, waiting for one still pending instead of failing.
func TestPoolSelectorWaitsForLateAnswers(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	fast, late := startPoolOrch(t, 1, &block), startPoolOrch(t, 1, &block)
	release := late.hold()
	defer release()
	p := newTestPool(t, []string{fast.addr, late.addr}, time.Minute, PoolOptions{Grace: time.Millisecond, Quorum: 1})
	ctx := testCtx(t)
	sel, err := p.Select(ctx, &trCap)
	require.NoError(t, err)
	first, err := sel.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, fast.addr, first.Addr)
	sel.Reject(first, errTest)
	got := make(chan *Info, 1)
	go func() {
		in, err := sel.Next(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- in
	}()
	release()
	require.Equal(t, late.addr, (<-got).Addr)
	_, err = sel.Next(ctx)
	var noe *lperr.NoOrchestratorError
	require.ErrorAs(t, err, &noe)
	require.ErrorIs(t, err, errTest)
	require.Contains(t, noe.Reason, "all 2 candidates failed")
}

// A warm key answers from the pool: no GetOrchestrator per call.
func TestPoolWarmSelectDoesNoIO(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: time.Hour})
	ctx := testCtx(t)
	for range 2 {
		_, _, err := p.Orchestrators(ctx, &trCap)
		require.NoError(t, err)
	}
	calls := o.calls.Load()
	for range 20 {
		sel, err := p.Select(ctx, &trCap)
		require.NoError(t, err)
		in, err := sel.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, o.addr, in.Addr)
	}
	require.Equal(t, calls, o.calls.Load())
}

// With Disabled, every call asks every orchestrator again (the old path).
func TestPoolDisabledAsksEveryTime(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{Disabled: true})
	ctx := testCtx(t)
	for i := range 3 {
		_, err := p.Select(ctx, &trCap)
		require.NoError(t, err)
		require.EqualValues(t, i+1, o.calls.Load())
	}
	require.Nil(t, p.Entries(&trCap))
}

// A pool never asked does nothing; a key never asked has no entries and
// costs no call; Close stops everything in flight, including a call to an
// orchestrator that never answers, and leaves no goroutine.
func TestPoolLazyAndClose(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	hole := blackhole(t)
	before := runtime.NumGoroutine()
	c, err := NewClient(ClientConfig{Timeout: time.Minute})
	require.NoError(t, err)
	defer c.Close()
	p, err := NewPool(PoolConfig{Source: List([]string{o.addr, hole}), Client: c})
	require.NoError(t, err)
	require.Equal(t, before, runtime.NumGoroutine(), "an unused pool starts nothing")
	_, err = p.Select(testCtx(t), &noopCap)
	require.NoError(t, err)
	require.Nil(t, p.Entries(&sdCap), "a capability never asked for has no entries")
	calls := o.calls.Load()
	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "idempotent")
	_, err = p.Select(context.Background(), &noopCap)
	require.ErrorIs(t, err, lperr.ErrClosed)
	_, _, err = p.Orchestrators(context.Background(), &noopCap)
	require.ErrorIs(t, err, lperr.ErrClosed)
	_, err = p.Refresh(context.Background(), &Info{Addr: o.addr})
	require.ErrorIs(t, err, lperr.ErrClosed)
	require.Equal(t, calls, o.calls.Load(), "nothing asked after Close")
}

// Idle keys are dropped, and their refreshes stop.
func TestPoolDropsIdleKeys(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{IdleAfter: 50 * time.Millisecond, MaxAge: 10 * time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
	_, err := p.Select(testCtx(t), &noopCap)
	require.NoError(t, err)
	waitFor(t, "the idle key dropped", func() bool { return p.Entries(&noopCap) == nil })
}

// The source is listed again every MaxAge: a new orchestrator joins, a
// gone one leaves.
func TestPoolFollowsTheSource(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	a, b := startPoolOrch(t, 1, &block), startPoolOrch(t, 1, &block)
	src := &switchSource{}
	src.addrs.Store(&[]string{a.addr})
	c := newTestClient(t, ClientConfig{Timeout: time.Minute})
	p, err := NewPool(PoolConfig{Source: src, Client: c, Options: PoolOptions{MaxAge: 20 * time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}})
	require.NoError(t, err)
	defer p.Close()
	ctx := testCtx(t)
	_, err = p.Select(ctx, &trCap)
	require.NoError(t, err)
	src.addrs.Store(&[]string{b.addr})
	waitFor(t, "the new list", func() bool {
		ranked, _, err := p.Orchestrators(ctx, &trCap)
		return err == nil && len(ranked) == 1 && ranked[0].Addr == b.addr
	})
	_, ok := entryOf(p, &trCap, a.addr)
	require.False(t, ok)
}

type switchSource struct{ addrs atomic.Pointer[[]string] }

func (s *switchSource) Orchestrators(context.Context, *Capability) ([]string, error) {
	return append([]string(nil), *s.addrs.Load()...), nil
}
func (s *switchSource) String() string { return "switch" }

// A source failure on the first call is the call's error; an empty list
// is a NoOrchestratorError; a second call lists again.
func TestPoolSourceErrors(t *testing.T) {
	checkNoLeak(t)
	c := newTestClient(t, ClientConfig{})
	src := &failSource{err: ErrDiscoveryUnavailable}
	p, err := NewPool(PoolConfig{Source: src, Client: c})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Select(testCtx(t), &noopCap)
	require.ErrorIs(t, err, ErrDiscoveryUnavailable)
	src.err = nil
	_, err = p.Select(testCtx(t), &noopCap)
	require.ErrorIs(t, err, lperr.ErrNoOrchestrator)
	require.Contains(t, err.Error(), "returned no orchestrators")
	require.Equal(t, 2, int(src.calls.Load()))
}

type failSource struct {
	err   error
	calls atomic.Int32
}

func (s *failSource) Orchestrators(context.Context, *Capability) ([]string, error) {
	s.calls.Add(1)
	return nil, s.err
}
func (s *failSource) String() string { return "failing source" }

func TestPoolOptionsValidated(t *testing.T) {
	c := newTestClient(t, ClientConfig{})
	for _, o := range []PoolOptions{{Grace: -1}, {Quorum: -1}, {BackoffMin: time.Minute, BackoffMax: time.Second}, {BlockTime: -time.Second}} {
		_, err := NewPool(PoolConfig{Source: List(nil), Client: c, Options: o})
		require.ErrorIs(t, err, lperr.ErrInvalidConfig, "%+v", o)
	}
	_, err := NewPool(PoolConfig{Client: c})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	p, err := NewPool(PoolConfig{Source: List(nil), Client: c})
	require.NoError(t, err)
	require.Equal(t, DefaultPoolGrace, p.Options().Grace)
	require.Equal(t, DefaultBlockTime, p.Options().BlockTime)
	require.True(t, errors.Is(p.Close(), nil))
}

// Many calls at once on a cold key share one listing and one round; for a
// capability paid with the info's ticket params no two of them get the
// same params.
func TestPoolConcurrentColdCallsAndClaims(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	orchs := []*poolOrch{startPoolOrch(t, 1, &block), startPoolOrch(t, 1, &block), startPoolOrch(t, 1, &block)}
	src := &countSource{addrs: []string{orchs[0].addr, orchs[1].addr, orchs[2].addr}}
	c := newTestClient(t, ClientConfig{Timeout: time.Minute})
	p, err := NewPool(PoolConfig{Source: src, Client: c, Options: PoolOptions{MaxAge: time.Hour}})
	require.NoError(t, err)
	defer p.Close()
	ctx := testCtx(t)
	const n = 24
	seeds := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			sel, err := p.Select(ctx, &noopCap)
			if err != nil {
				errs <- err
				return
			}
			in, err := sel.Next(ctx)
			if err != nil {
				errs <- err
				return
			}
			seeds <- string(in.TicketParams.Seed)
			errs <- nil
		}()
	}
	seen := map[string]bool{}
	for range n {
		require.NoError(t, <-errs)
	}
	close(seeds)
	for s := range seeds {
		require.False(t, seen[s], "ticket params handed out twice")
		seen[s] = true
	}
	require.Len(t, seen, n)
	require.EqualValues(t, 1, src.calls.Load(), "one listing")
}

type countSource struct {
	addrs []string
	calls atomic.Int32
}

func (s *countSource) Orchestrators(context.Context, *Capability) ([]string, error) {
	s.calls.Add(1)
	return append([]string(nil), s.addrs...), nil
}
func (s *countSource) String() string { return "counting source" }

// An orchestrator of the first round that leaves the list before it
// answered is no longer waited for.
func TestPoolFirstRoundForgetsOrchestratorsThatLeft(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	a := startPoolOrch(t, 1, &block)
	hole := blackhole(t)
	src := &switchSource{}
	src.addrs.Store(&[]string{a.addr, hole})
	c := newTestClient(t, ClientConfig{Timeout: time.Hour})
	p, err := NewPool(PoolConfig{Source: src, Client: c, Options: PoolOptions{MaxAge: 20 * time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond}})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Select(testCtx(t), &trCap)
	require.NoError(t, err)
	src.addrs.Store(&[]string{a.addr})
	ranked, _, err := p.Orchestrators(testCtx(t), &trCap)
	require.NoError(t, err, "not waiting an hour for the one that left")
	require.Equal(t, []string{a.addr}, addrsOf(ranked))
}
