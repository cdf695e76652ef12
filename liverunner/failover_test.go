package liverunner_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// deadURL is an http URL nothing listens on.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := "https://" + ln.Addr().String()
	ln.Close()
	return u
}

// A reservation skips a runner that is full (503), one whose orchestrator
// is dead and one the orchestrator no longer knows (404), records each
// refusal, and reserves on the next.
func TestReserveFailover(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{
		runner("full", "test/echo", 1, "1.8", "hour"),
		runner("good", "test/echo", 1, "3.6", "hour"),
	}})
	ctx := context.Background()
	ranked, _, err := liverunner.Discover(ctx, f.source(), liverunner.Filter{App: "test/echo"})
	require.NoError(t, err)
	require.Len(t, ranked, 2)
	full, good := ranked[0], ranked[1]
	require.Equal(t, "1.8", usdOf(t, full))

	// Someone else takes the full runner's only slot after discovery.
	other, err := f.c.Reserve(ctx, liverunner.NewSelector("test/echo", []liverunner.Runner{full}, nil), liverunner.SessionConfig{})
	require.NoError(t, err)
	defer other.Close()

	dead := good
	dead.URL = deadURL(t) + "/apps/x/session"
	gone := good
	gone.URL = good.Orchestrator + "/apps/runner_unknown/session"

	sel := liverunner.NewSelector("test/echo", []liverunner.Runner{full, dead, gone, good}, nil)
	s, err := f.c.Reserve(ctx, sel, liverunner.SessionConfig{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, good.URL, s.Runner().URL)
	rej := sel.Rejections()
	require.Len(t, rej, 3)
	var ae *livepeer.APIError
	require.Equal(t, full.URL, rej[0].Orchestrator)
	require.ErrorAs(t, rej[0].Err, &ae)
	require.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
	require.ErrorIs(t, rej[0].Err, livepeer.ErrOrchestratorUnavailable)
	require.Equal(t, dead.URL, rej[1].Orchestrator)
	require.ErrorIs(t, rej[1].Err, livepeer.ErrOrchestratorUnavailable)
	require.Equal(t, gone.URL, rej[2].Orchestrator)
	require.ErrorAs(t, rej[2].Err, &ae)
	require.Equal(t, http.StatusNotFound, ae.StatusCode)
	require.Equal(t, "runner not found", ae.Message)
	require.Len(t, f.sessions(), 2)
}

// With every runner refusing, the error lists each one.
func TestReserveAllRefused(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("full", "test/echo", 1, "1.8", "hour")}})
	ctx := context.Background()
	ranked, _, err := liverunner.Discover(ctx, f.source(), liverunner.Filter{App: "test/echo"})
	require.NoError(t, err)
	full := ranked[0]
	other, err := f.c.Reserve(ctx, liverunner.NewSelector("test/echo", ranked, nil), liverunner.SessionConfig{})
	require.NoError(t, err)
	defer other.Close()
	dead := full
	dead.URL = deadURL(t) + "/apps/x/session"

	_, err = f.c.Reserve(ctx, liverunner.NewSelector("test/echo", []liverunner.Runner{full, dead}, nil), liverunner.SessionConfig{})
	require.ErrorIs(t, err, livepeer.ErrNoOrchestrator)
	var ne *livepeer.NoOrchestratorError
	require.ErrorAs(t, err, &ne)
	require.Len(t, ne.Rejections, 2)
	require.Equal(t, "test/echo", ne.Capability)
	require.Len(t, f.sessions(), 1, "only the other client's")
	require.False(t, errors.Is(err, livepeer.ErrInsufficientBalance))
}

// usdOf recovers the registration's USD price per hour from the wei price
// per second (DefaultUSDPerETH).
func usdOf(t *testing.T, r liverunner.Runner) string {
	t.Helper()
	require.NotNil(t, r.Price)
	require.Equal(t, liverunner.UnitSeconds, r.Price.Unit)
	usd := newRat().Mul(r.Price.Wei, ratOf(3600))
	usd.Mul(usd, livepeertest.DefaultUSDPerETH)
	usd.Quo(usd, ratOf(1e18))
	return usd.FloatString(1)
}
