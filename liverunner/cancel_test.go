package liverunner_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// A reservation cancelled at any point (during discovery, the challenge,
// the signer's payment, the paid request or after) leaves no session on the
// network: Reserve either returns a session (closed here) or returns ctx's
// error once whatever the orchestrator reserved is stopped.
func TestReserveCancelLeavesNoSession(t *testing.T) {
	for _, offchain := range []bool{false, true} {
		f := newFixture(t, fixtureConfig{offchain: offchain, static: []livepeertest.StaticRunner{runner("echo", "test/echo", 4, "3.6", "hour")}})
		ranked, _, err := liverunner.Discover(context.Background(), f.source(), liverunner.Filter{App: "test/echo"})
		require.NoError(t, err)
		// Slow every step a little so cancellations land inside them.
		f.n.Orchestrators()[0].SetLatency(2 * time.Millisecond)
		if !offchain {
			f.n.Signer().SetLatency(2 * time.Millisecond)
		}
		// One uncancelled reservation says how long the whole dance takes.
		start := time.Now()
		s, err := f.c.Reserve(context.Background(), liverunner.NewSelector("test/echo", ranked, nil), liverunner.SessionConfig{})
		require.NoError(t, err)
		full := time.Since(start)
		require.NoError(t, s.Close())
		cancelled, reserved := 0, 0
		for i := range 40 {
			ctx, cancel := context.WithCancel(context.Background())
			delay := time.Duration(rand.Int64N(int64(full) * 6 / 5))
			if i%10 == 0 {
				delay = 0
			}
			stop := time.AfterFunc(delay, cancel)
			s, err := f.c.Reserve(ctx, liverunner.NewSelector("test/echo", ranked, nil), liverunner.SessionConfig{PaymentInterval: time.Millisecond})
			stop.Stop()
			if err == nil {
				reserved++
				cancel()
				require.NoError(t, s.Close())
			} else {
				require.True(t, errors.Is(err, context.Canceled), "%v", err)
				cancelled++
			}
			cancel()
			require.Empty(t, f.sessions(), "iteration %d (offchain %v, delay %v, err %v)", i, offchain, delay, err)
		}
		t.Logf("offchain=%v: %d cancelled, %d reserved", offchain, cancelled, reserved)
		require.Positive(t, cancelled)
	}
}

// A session's ctx-free lifetime: cancelling the ctx Reserve got after it
// returned does not end the session; Close does.
func TestSessionOutlivesReserveContext(t *testing.T) {
	f := newFixture(t, fixtureConfig{offchain: true, static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "", "")}})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := f.c.Reserve(ctx, f.selectApp("test/echo"), liverunner.SessionConfig{})
	require.NoError(t, err)
	cancel()
	resp, err := s.Client().Get(s.URL("echo/x"))
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, s.Close())
}
