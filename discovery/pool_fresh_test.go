package discovery

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// An answer whose auth token enters its last AuthRefreshMargin is never
// handed out: once it is due, Next hands out a fresh one (refreshed in the
// background at the due point, or on the spot).
func TestPoolStaleAuthTokenRefreshedBeforeUse(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	// Due 2 s after it is issued (token expiry has a 1 s resolution).
	o.validity.Store(int64(AuthRefreshMargin + 2*time.Second))
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: time.Hour, BackoffMin: time.Hour, BackoffMax: time.Hour})
	ctx := testCtx(t)
	sel, err := p.Select(ctx, &trCap)
	require.NoError(t, err)
	first, err := sel.Next(ctx)
	require.NoError(t, err)
	due := first.AuthExpiry.Add(-AuthRefreshMargin)
	// Hold the refresh back, so that the cached answer is still the only
	// one when the token is due.
	release := o.hold()
	defer release()
	time.Sleep(time.Until(due)) // the token is due from here on (a wall-clock condition, not a timing assertion)

	got := make(chan *Info, 1)
	go func() {
		defer close(got)
		sel, err := p.Select(ctx, &trCap)
		if err != nil {
			t.Error(err)
			return
		}
		in, err := sel.Next(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		got <- in
	}()
	release()
	fresh := <-got
	require.NotNil(t, fresh)
	require.True(t, fresh.AuthExpiry.After(first.AuthExpiry), "not the due token")
	require.GreaterOrEqual(t, o.calls.Load(), int32(2))
}

// An orchestrator whose tokens are due on arrival (valid for less than the
// signer's margin) cannot be paid: it is down, probed with backoff, not in
// a loop.
func TestPoolAnswerDueOnArrivalIsDown(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	bad, good := startPoolOrch(t, 1, &block), startPoolOrch(t, 2, &block)
	bad.validity.Store(int64(time.Minute))
	p := newTestPool(t, []string{bad.addr, good.addr}, time.Minute, PoolOptions{MaxAge: time.Hour, BackoffMin: time.Hour, BackoffMax: time.Hour})
	ctx := testCtx(t)
	ranked, rejections, err := p.Orchestrators(ctx, &trCap)
	require.NoError(t, err)
	require.Equal(t, []string{good.addr}, addrsOf(ranked))
	require.Len(t, rejections, 1)
	require.ErrorIs(t, rejections[0].Err, lperr.ErrOrchestratorUnavailable)
	e, _ := entryOf(p, &trCap, bad.addr)
	require.True(t, e.Down)
	for range 5 {
		_, err := p.Select(ctx, &trCap)
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), bad.calls.Load(), "no probe loop")
}

// Ticket params expire by L1 block. When a fresh answer (here for another
// capability) shows the chain moved 40 blocks, every cached answer whose
// params this expires is refreshed, and Next never hands out the expired
// ones.
func TestPoolTicketParamsExpiredOnTheChainRefreshed(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: time.Hour, BackoffMin: time.Hour, BackoffMax: time.Hour, BlockTime: time.Hour})
	ctx := testCtx(t)
	sel, err := p.Select(ctx, &noopCap)
	require.NoError(t, err)
	old, err := sel.Next(ctx) // claimed: refreshed at once for the next caller
	require.NoError(t, err)
	require.EqualValues(t, 140, old.TicketParams.ExpirationBlock.Int64())
	waitFor(t, "the claimed answer refreshed", func() bool { e, _ := entryOf(p, &noopCap, o.addr); return e.Usable })

	block.Store(140) // the cached params (expiring at 140) are dead now
	e, _ := entryOf(p, &noopCap, o.addr)
	require.True(t, e.Usable, "the pool cannot know yet")
	_, _, err = p.Orchestrators(ctx, &sdCap) // a fresh answer shows block 140
	require.NoError(t, err)
	e, _ = entryOf(p, &noopCap, o.addr)
	require.False(t, e.Usable && e.Info.TicketParams.ExpirationBlock.Int64() <= 142, "expired params are not usable")

	sel, err = p.Select(ctx, &noopCap)
	require.NoError(t, err)
	in, err := sel.Next(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 180, in.TicketParams.ExpirationBlock.Int64())
}

// The chain estimate also moves with time: params are due once the
// estimated block is within TicketParamsMargin of their expiry, and the
// background refreshes them a lead before.
func TestPoolTicketParamsDueByBlockTime(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	// 40 blocks of 5 ms: due after 38 × 5 ms.
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: time.Hour, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond, BlockTime: 5 * time.Millisecond})
	ctx := testCtx(t)
	_, _, err := p.Orchestrators(ctx, &trCap)
	require.NoError(t, err)
	waitFor(t, "a background refresh", func() bool { return o.calls.Load() >= 3 })
}

// A price change reaches the pool with the next refresh.
func TestPoolPriceChangePickedUpByOneRefresh(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 5, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: 30 * time.Millisecond, BackoffMin: time.Millisecond, BackoffMax: time.Millisecond})
	ctx := testCtx(t)
	ranked, _, err := p.Orchestrators(ctx, &trCap)
	require.NoError(t, err)
	p0, _ := ranked[0].PriceFor(trCap)
	require.EqualValues(t, 5, p0.PricePerUnit)
	o.price.Store(7)
	changed := time.Now()
	waitFor(t, "a refresh after the change", func() bool {
		e, _ := entryOf(p, &trCap, o.addr)
		return e.Info != nil && e.Info.FetchedAt.After(changed)
	})
	e, _ := entryOf(p, &trCap, o.addr)
	pr, _ := e.Info.PriceFor(trCap)
	require.EqualValues(t, 7, pr.PricePerUnit, "the first refresh after the change carries it")
}

// For capabilities paid with the info's own ticket params (all but BYOC),
// an answer is handed out once: the next caller gets fresh params. BYOC
// answers are shared.
func TestPoolClaimsTicketParams(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: time.Hour})
	ctx := testCtx(t)
	seeds := map[string]bool{}
	for range 3 {
		sel, err := p.Select(ctx, &noopCap)
		require.NoError(t, err)
		in, err := sel.Next(ctx)
		require.NoError(t, err)
		seed := string(in.TicketParams.Seed)
		require.False(t, seeds[seed], "ticket params handed out twice")
		seeds[seed] = true
	}
	var byoc []*Info
	for range 2 {
		sel, err := p.Select(ctx, &trCap)
		require.NoError(t, err)
		in, err := sel.Next(ctx)
		require.NoError(t, err)
		byoc = append(byoc, in)
	}
	require.Same(t, byoc[0], byoc[1])

	// Claim (a payment session on an info from Orchestrators) does the same.
	ranked, _, err := p.Orchestrators(ctx, &sdCap)
	require.NoError(t, err)
	p.Claim(ranked[0])
	again, _, err := p.Orchestrators(ctx, &sdCap)
	require.NoError(t, err)
	require.False(t, bytes.Equal(ranked[0].TicketParams.Seed, again[0].TicketParams.Seed))
}

// A payment session's refresh (the signer's 480) gets an answer of its
// own and refreshes the pool's entry too.
func TestPoolRefreshIsPrivateAndRefreshesTheEntry(t *testing.T) {
	checkNoLeak(t)
	var block atomic.Int64
	block.Store(100)
	o := startPoolOrch(t, 1, &block)
	p := newTestPool(t, []string{o.addr}, time.Minute, PoolOptions{MaxAge: time.Hour})
	ctx := testCtx(t)
	ranked, _, err := p.Orchestrators(ctx, &sdCap)
	require.NoError(t, err)
	cached := ranked[0]
	fresh, err := p.Refresh(ctx, cached)
	require.NoError(t, err)
	require.Equal(t, &sdCap, fresh.Requested)
	waitFor(t, "the entry refreshed", func() bool {
		e, _ := entryOf(p, &sdCap, o.addr)
		return e.Info != cached && e.Info != nil && !e.Probing
	})
	e, _ := entryOf(p, &sdCap, o.addr)
	require.NotSame(t, fresh, e.Info, "the caller's answer is its own")
	require.False(t, bytes.Equal(fresh.TicketParams.Seed, e.Info.TicketParams.Seed))
}
