package liverunner_test

import (
	"context"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

func priced(wei int64, unit string) *liverunner.Price {
	return &liverunner.Price{Wei: big.NewRat(wei, 1), Currency: "wei", Unit: unit}
}

func TestRankAndFilter(t *testing.T) {
	rs := []liverunner.Runner{
		{URL: "u0", App: "a", Mode: liverunner.Persistent, CapacityAvailable: 1, Price: priced(30, "seconds"), Latency: time.Millisecond,
			GPU: &liverunner.GPU{Name: "NVIDIA H100", VRAMMB: 80000}, Version: "serverless-1"},
		{URL: "u1", App: "a", Mode: liverunner.Persistent, CapacityAvailable: 0, Price: priced(10, "seconds")},
		{URL: "u2", App: "a", Mode: liverunner.SingleShot, CapacityAvailable: 2, Price: priced(20, "seconds"), Latency: 2 * time.Millisecond,
			GPU: &liverunner.GPU{Name: "NVIDIA L40S", VRAMMB: 46068}, Version: "1.0"},
		{URL: "u3", App: "a", Mode: liverunner.Persistent, CapacityAvailable: 1, Price: priced(20, "seconds"), Latency: time.Millisecond},
		{URL: "u4", App: "b", Mode: liverunner.Persistent, CapacityAvailable: 1},
		{URL: "u5", App: "a", Mode: liverunner.Persistent, CapacityAvailable: 1}, // off-chain: free
	}
	urls := func(rs []liverunner.Runner) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.URL)
		}
		return out
	}
	ranked, rej := liverunner.Rank(rs, liverunner.Filter{App: "a"})
	require.Equal(t, []string{"u5", "u3", "u2", "u0", "u1"}, urls(ranked), "free slot first, then price, then latency")
	require.Empty(t, rej)

	ranked, rej = liverunner.Rank(rs, liverunner.Filter{App: "a", Mode: liverunner.Persistent, MinAvailable: 1, GPU: "h100"})
	require.Equal(t, []string{"u0"}, urls(ranked))
	require.Len(t, rej, 4)
	for _, r := range rej {
		require.ErrorIs(t, r.Err, liverunner.ErrFiltered)
	}

	ranked, rej = liverunner.Rank(rs, liverunner.Filter{App: "a", MaxPrice: priced(20, "seconds")})
	require.Equal(t, []string{"u5", "u3", "u2", "u1"}, urls(ranked))
	require.Len(t, rej, 1)
	require.ErrorIs(t, rej[0].Err, livepeer.ErrPriceExceeded)

	ranked, _ = liverunner.Rank(rs, liverunner.Filter{App: "a", MaxPrice: priced(1000, "fixed")})
	require.Equal(t, []string{"u5"}, urls(ranked), "a ceiling in another unit leaves priced runners out")

	ranked, _ = liverunner.Rank(rs, liverunner.Filter{Version: "serverless*"})
	require.Equal(t, []string{"u0"}, urls(ranked))
	ranked, _ = liverunner.Rank(rs, liverunner.Filter{Version: "1.0", MinVRAMMB: 40000})
	require.Equal(t, []string{"u2"}, urls(ranked))
	require.True(t, ranked[0].Mode == liverunner.SingleShot)
}

// Discovery from the orchestrators' /discovery and from the signer's
// records give the same runners, typed, with metadata as given.
func TestDiscoverySources(t *testing.T) {
	r := runner("echo", "test/echo", 2, "3.6", "hour")
	r.Metadata = `{"region":"eu","x":[1,2]}`
	f := newFixture(t, fixtureConfig{orchestrators: 2, static: []livepeertest.StaticRunner{r}})
	ctx := context.Background()
	fromOrch, rej, err := liverunner.Discover(ctx, f.source(), liverunner.Filter{})
	require.NoError(t, err)
	require.Empty(t, rej)
	require.Len(t, fromOrch, 2, "one per orchestrator")
	got := fromOrch[0]
	require.Equal(t, "test/echo", got.App)
	require.Equal(t, `{"region":"eu","x":[1,2]}`, got.Metadata)
	require.Equal(t, liverunner.Persistent, got.Mode)
	require.Equal(t, 2, got.Capacity)
	require.Equal(t, 2, got.CapacityAvailable)
	require.Equal(t, &liverunner.GPU{ID: "0", Name: "NVIDIA L40S", VRAMMB: 46068}, got.GPU)
	require.Equal(t, "400000000000 wei/seconds", got.Price.String())
	require.Positive(t, got.Latency)
	require.Contains(t, string(got.Raw), `"capacity_available":2`)

	fromSigner, rej, err := liverunner.Discover(ctx, liverunner.FromSigner(f.sc), liverunner.Filter{App: "test/echo"})
	require.NoError(t, err)
	require.Empty(t, rej)
	require.Len(t, fromSigner, 2)
	require.ElementsMatch(t, []string{fromOrch[0].URL, fromOrch[1].URL}, []string{fromSigner[0].URL, fromSigner[1].URL})
	for _, r := range fromSigner {
		if r.URL == got.URL {
			require.Equal(t, got.Orchestrator, r.Orchestrator, "the entry's address")
			require.Equal(t, got.Metadata, r.Metadata)
			require.Equal(t, got.Price, r.Price)
		}
	}

	ep, err := liverunner.FromEndpoint(f.n.DiscoveryURL(), nil, http.DefaultClient, 0)
	require.NoError(t, err)
	fromEndpoint, _, err := liverunner.Discover(ctx, ep, liverunner.Filter{App: "test/echo"})
	require.NoError(t, err)
	require.Len(t, fromEndpoint, 2)
}

// An orchestrator without live runners (404) or unreachable is a
// rejection, not a failure of the whole discovery.
func TestDiscoveryRejections(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "3.6", "hour")}})
	none := httptest.NewTLSServer(http.NotFoundHandler())
	defer none.Close()
	src := liverunner.FromOrchestrators([]string{f.n.Orchestrators()[0].URL(), none.URL, deadURL(t)}, f.hc, 5*time.Second)
	rs, rej, err := liverunner.Discover(context.Background(), src, liverunner.Filter{})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Len(t, rej, 2)
	require.ErrorIs(t, rej[0].Err, liverunner.ErrNoDiscovery)
	require.ErrorIs(t, rej[1].Err, livepeer.ErrOrchestratorUnavailable)
	_, err = liverunner.Select(context.Background(), src, liverunner.Filter{App: "other"})
	require.ErrorIs(t, err, livepeer.ErrNoOrchestrator)
}
