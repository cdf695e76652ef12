package signerproxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/signerproxy"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store/storetest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

const capability = "live-video-to-video/streamdiffusion"

type fixture struct {
	net    *livepeertest.Network
	st     *store.Store
	proxy  *httptest.Server
	seen   chan http.Header // headers the upstream received
	infos  []*discovery.Info
	secret []byte
	skew   atomic.Int64 // added to the proxy's clock, in ns
	p      *signerproxy.Proxy
}

// keyAuth authenticates Bearer personal keys against the store.
func keyAuth(st *store.Store) signerproxy.Authenticator {
	return func(r *http.Request) (signerproxy.Principal, error) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
		}
		k, u, err := st.KeyUser(r.Context(), tok)
		if err != nil {
			return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
		}
		return signerproxy.Principal{UserID: u.ID, Source: "key:" + strconv.FormatInt(k.ID, 10)}, nil
	}
}

// newFixture starts a one-orchestrator network whose streamdiffusion price
// is pricePerPixel wei (0: the default).
func newFixture(t *testing.T, b storetest.Backend, pricePerPixel int64) *fixture {
	t.Helper()
	cfg := livepeertest.NetworkConfig{Orchestrators: 1}
	if pricePerPixel > 0 {
		cfg.Capabilities = []livepeertest.CapabilitySpec{{Name: capability, PricePerUnit: pricePerPixel, PixelsPerUnit: 1, Capacity: 4}}
	}
	n, err := livepeertest.NewNetwork(cfg)
	require.NoError(t, err)
	t.Cleanup(n.Close)
	f := &fixture{net: n, st: storetest.Open(t, b), seen: make(chan http.Header, 1000), secret: []byte(strings.Repeat("s", 32))}
	// A recording hop in front of the upstream signer shows which headers
	// the proxy forwards.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case f.seen <- r.Header.Clone():
		default:
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, n.SignerURL()+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.Header().Set("X-Upstream-Secret", "never-leaks")
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			k, err := resp.Body.Read(buf)
			_, _ = w.Write(buf[:k])
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(up.Close)
	p, err := signerproxy.New(signerproxy.Config{
		Upstream: up.URL, UpstreamHeaders: map[string]string{"X-Upstream-Credential": "upstream-secret"},
		Store: f.st, Secret: f.secret, Auth: keyAuth(f.st), KeysURL: "http://playground/keys",
		Now: func() time.Time { return time.Now().Add(time.Duration(f.skew.Load())) },
	})
	require.NoError(t, err)
	f.p = p
	mux := http.NewServeMux()
	p.Register(mux)
	f.proxy = httptest.NewServer(mux)
	t.Cleanup(f.proxy.Close)

	gw, err := livepeer.NewGateway(livepeer.Config{Orchestrators: n.OrchestratorAddrs(), SignerURL: n.SignerURL()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	f.infos, err = gw.Orchestrators(context.Background(), capability)
	require.NoError(t, err)
	require.NotEmpty(t, f.infos)
	return f
}

func (f *fixture) client(t *testing.T, key string, extra map[string]string) *signer.Client {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + key}
	for k, v := range extra {
		h[k] = v
	}
	hdr := http.Header{}
	for k, v := range h {
		hdr.Set(k, v)
	}
	c, err := signer.New(signer.Config{URLs: []string{f.proxy.URL}, Headers: hdr, MaxRetries: -1})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func (f *fixture) user(t *testing.T, email string, capWei int64) (*store.User, string) {
	t.Helper()
	u, err := f.st.CreateUser(context.Background(), email, "h", "free", capWei)
	require.NoError(t, err)
	_, key, err := f.st.CreateKey(context.Background(), u.ID, "test")
	require.NoError(t, err)
	return u, key
}

func (f *fixture) pay(ctx context.Context, c *signer.Client, state json.RawMessage) (*signer.PaymentResponse, error) {
	return c.GenerateLivePayment(ctx, &signer.PaymentRequest{Orchestrator: f.infos[0], State: state, ManifestID: "manifest-1", Type: signer.TypeLV2V})
}

func eachBackend(t *testing.T, fn func(t *testing.T, f *fixture)) {
	eachBackendPriced(t, 0, fn)
}

func eachBackendPriced(t *testing.T, price int64, fn func(t *testing.T, f *fixture)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, newFixture(t, b, price)) })
	}
}

func TestPaymentIsMeteredAtTicketEV(t *testing.T) {
	eachBackendPriced(t, 5000, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u, key := f.user(t, "a@example.com", 1_000_000_000_000_000)
		c := f.client(t, key, map[string]string{"Signer-Auth-Id": "someone-else", "Signer-Anything": "x"})
		var state json.RawMessage
		var want int64
		for i := 0; i < 2; {
			resp, err := f.pay(ctx, c, state)
			if errors.Is(err, livepeer.ErrNoTicketsNeeded) {
				time.Sleep(10 * time.Millisecond) // the balance covers this cycle
				continue
			}
			require.NoError(t, err, "payment %d", i)
			i++
			cost, err := meter.PaymentCost(resp.Payment)
			require.NoError(t, err)
			require.Positive(t, cost.Tickets)
			want += cost.EVWei().Int64()
			state = resp.State
			require.NotContains(t, string(state), "OrchestratorAddress", "the upstream state is wrapped")
		}
		got, err := f.st.Usage(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, want, got.SpentWei)
		require.Zero(t, got.ReservedWei)
		require.Equal(t, int64(2), got.Payments)
		require.Positive(t, got.FaceWei.Sign())
		// The upstream signer committed exactly what was charged (EV rounded up per payment).
		require.InDelta(t, float64(want), float64(f.net.Signer().Spent().Int64()), 3)

		// Headers: client Signer-* and Authorization stripped, upstream credential and auth id set.
		h := <-f.seen
		require.Equal(t, "upstream-secret", h.Get("X-Upstream-Credential"))
		require.Equal(t, "playground-user-"+strconv.FormatInt(u.ID, 10), h.Get("Signer-Auth-Id"))
		require.Empty(t, h.Get("Signer-Anything"))
		require.Empty(t, h.Get("Authorization"))
	})
}

func TestAuthAndStateBinding(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice, aliceKey := f.user(t, "alice@example.com", 1_000_000_000_000_000)
		bob, bobKey := f.user(t, "bob@example.com", 1_000_000_000_000_000)

		// No key, bad key → 401 (ErrUnauthorized), nothing forwarded.
		_, err := f.pay(ctx, f.client(t, "lpk_nope", nil), nil)
		require.ErrorIs(t, err, livepeer.ErrUnauthorized)
		resp, err := http.Post(f.proxy.URL+signerproxy.PathGenerateLivePayment, "application/json", strings.NewReader(`{}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Empty(t, resp.Header.Get("X-Upstream-Secret"))

		ac := f.client(t, aliceKey, nil)
		first, err := f.pay(ctx, ac, nil)
		require.NoError(t, err)

		// Bob replays Alice's state with his key: refused, nothing charged to either.
		bc := f.client(t, bobKey, nil)
		_, err = f.pay(ctx, bc, first.State)
		var apiErr *livepeer.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusForbidden, apiErr.StatusCode)
		bu, err := f.st.UserByID(ctx, bob.ID)
		require.NoError(t, err)
		require.Zero(t, bu.SpentWei)
		require.Zero(t, bu.ReservedWei)

		// A tampered state is refused.
		var ws map[string][]byte
		require.NoError(t, json.Unmarshal(first.State, &ws))
		ws["State"] = []byte(strings.Replace(string(ws["State"]), `"uid":`+strconv.FormatInt(alice.ID, 10), `"uid":`+strconv.FormatInt(bob.ID, 10), 1))
		forged, _ := json.Marshal(ws)
		_, err = f.pay(ctx, bc, forged)
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)

		// Revocation takes effect on the very next call.
		keys, err := f.st.Keys(ctx, alice.ID)
		require.NoError(t, err)
		require.NoError(t, f.st.RevokeKey(ctx, alice.ID, keys[0].ID))
		_, err = f.pay(ctx, ac, first.State)
		require.ErrorIs(t, err, livepeer.ErrUnauthorized)

		// sign-orchestrator-info and discovery need a key too.
		_, err = f.client(t, "lpk_nope", nil).SignOrchestratorInfo(ctx)
		require.ErrorIs(t, err, livepeer.ErrUnauthorized)
		sig, err := bc.SignOrchestratorInfo(ctx)
		require.NoError(t, err)
		require.Equal(t, f.net.Signer().Address(), sig.Address)
	})
}

func TestOutOfCreditAnd482(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		tev := meter.Ceil(f.infos[0].TicketParams.EV()).Int64()
		u, key := f.user(t, "c@example.com", 3*tev)
		c := f.client(t, key, nil)
		first, err := f.pay(ctx, c, nil)
		require.NoError(t, err)

		// 482 from the signer: passed on, nothing charged, the state stays usable.
		f.net.Signer().FailNext(signerproxy.PathGenerateLivePayment, 5, signer.StatusNoTickets)
		before, err := f.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		for range 5 {
			_, err := f.pay(ctx, c, first.State)
			require.ErrorIs(t, err, livepeer.ErrNoTicketsNeeded)
		}
		after, err := f.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, before.SpentWei, after.SpentWei)
		require.Zero(t, after.ReservedWei)
		next, err := f.pay(ctx, c, first.State)
		require.NoError(t, err, "after 482s the same state still pays")

		// Drain the budget long after the session's prepaid time is over
		// (at this price one ticket buys hours): 483 with go-livepeer's
		// envelope and the figures.
		f.skew.Store(int64(1000 * time.Hour))
		state := next.State
		for range 10 {
			r, err := f.pay(ctx, c, state)
			if err != nil {
				require.ErrorIs(t, err, livepeer.ErrInsufficientBalance)
				var apiErr *livepeer.APIError
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, signer.StatusInsufficientBalance, apiErr.StatusCode)
				require.Contains(t, apiErr.Message, "trial budget exhausted")
				break
			}
			state = r.State
		}
		final, err := f.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.LessOrEqual(t, final.SpentWei, final.CapWei)
		require.Zero(t, final.ReservedWei)

		// Upstream signer down → 503 passed on as ErrSignerUnavailable, nothing reserved.
		f.net.Signer().SetDown(true)
		_, err = f.pay(ctx, f.client(t, key, nil), nil)
		require.Error(t, err)
		f.net.Signer().SetDown(false)
	})
}

// TestLoad50ConcurrentSessions runs 50 metered payment sessions of one
// account at once until the budget refuses them; the total charged never
// passes the cap.
func TestLoad50ConcurrentSessions(t *testing.T) {
	// 5000 wei/pixel: a first lv2v payment (60 s of 720p30) is 9 tickets.
	eachBackendPriced(t, 5000, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		tev := meter.Ceil(f.infos[0].TicketParams.EV()).Int64()
		capWei := 150 * tev
		u, key := f.user(t, "load@example.com", capWei)
		var payments, refused, failed, noTickets atomic.Int64
		var latMu sync.Mutex
		var lat []time.Duration // every proxy answer, as the client saw it
		start := time.Now()
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				c, err := signer.New(signer.Config{URLs: []string{f.proxy.URL}, Headers: http.Header{"Authorization": {"Bearer " + key}}, MaxRetries: -1})
				if !assert.NoError(t, err) {
					return
				}
				defer c.CloseIdleConnections()
				var state json.RawMessage
				for range 20 {
					t0 := time.Now()
					r, err := f.pay(ctx, c, state)
					d := time.Since(t0)
					latMu.Lock()
					lat = append(lat, d)
					latMu.Unlock()
					switch {
					case errors.Is(err, livepeer.ErrInsufficientBalance):
						refused.Add(1)
						return
					case errors.Is(err, livepeer.ErrNoTicketsNeeded):
						noTickets.Add(1) // the balance covers this cycle: keep the state, go on
						time.Sleep(5 * time.Millisecond)
						continue
					case err != nil:
						failed.Add(1)
						t.Errorf("payment: %v", err)
						return
					}
					payments.Add(1)
					state = r.State
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		got, err := f.st.Usage(ctx, u.ID)
		require.NoError(t, err)
		require.LessOrEqual(t, got.SpentWei, capWei, "total charged must not pass the cap")
		require.Zero(t, got.ReservedWei)
		require.Equal(t, payments.Load(), got.Payments)
		require.Positive(t, refused.Load(), "the budget must run out")
		upstream := f.net.Signer().Spent()
		slices.Sort(lat)
		require.NotEmpty(t, lat)
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		t.Logf("%s: 50 sessions, %d payments (%d tickets) in %v (%.0f payments/s); charged %d wei of cap %d wei (%.1f%%); refused sessions %d; 482 answers %d; upstream signer committed %s wei; proxy latency over %d calls p50 %v p99 %v max %v",
			f.st.Dialect(), got.Payments, got.Tickets, elapsed.Round(time.Millisecond), float64(got.Payments)/elapsed.Seconds(),
			got.SpentWei, capWei, 100*float64(got.SpentWei)/float64(capWei), refused.Load(), noTickets.Load(), upstream,
			len(lat), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	})
}

// TestSessionRunsOnPrepaidTime: go-livepeer's signer bills an lv2v
// session's first minute up front. When the budget cannot buy the next
// payment, the session still runs on that minute (482: skip the cycle,
// nothing charged) and gets 483 only once it is nearly used up; the total
// charged never passes the cap.
func TestSessionRunsOnPrepaidTime(t *testing.T) {
	eachBackendPriced(t, 5000, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u, key := f.user(t, "prepaid@example.com", 1_000_000_000_000_000)
		c := f.client(t, key, nil)
		first, err := f.pay(ctx, c, nil)
		require.NoError(t, err)
		rate, ok := f.p.Rate(u.ID)
		require.True(t, ok, "the session's streaming rate is read from the signer's state")
		require.Equal(t, big.NewRat(5000*meter.LV2VPixelsPerSecond, 1), rate, "price × 1280×720×30 px/s")
		cur, err := f.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.NoError(t, f.st.SetCap(ctx, u.ID, cur.SpentWei)) // nothing left to buy with

		for _, after := range []time.Duration{5 * time.Second, 20 * time.Second, 45 * time.Second} {
			f.skew.Store(int64(after))
			_, err := f.pay(ctx, c, first.State)
			require.ErrorIs(t, err, livepeer.ErrNoTicketsNeeded, "%v into the prepaid minute the session keeps running", after)
			var apiErr *livepeer.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Contains(t, apiErr.Message, "prepaid")
		}
		got, err := f.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, cur.SpentWei, got.SpentWei, "riding on prepaid time charges nothing")
		require.Zero(t, got.ReservedWei)

		// Past the prepaid minute (and the part of a ticket the signer
		// rounded up): under the 10 s margin.
		f.skew.Store(int64(70 * time.Second))
		_, err = f.pay(ctx, c, first.State)
		require.ErrorIs(t, err, livepeer.ErrInsufficientBalance)

		// A first payment the budget cannot cover is refused at once, and the
		// proxy knows what a first payment needs.
		_, err = f.pay(ctx, c, nil)
		require.ErrorIs(t, err, livepeer.ErrInsufficientBalance)
		est, ok := f.p.FirstPaymentEstimate()
		require.True(t, ok)
		require.Positive(t, est.Sign())
	})
}
