package signer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// fakeClock is a settable clock for the refresh logic.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pymthouseAnswer is the exchange answer's shape (pymthouse builder SDK's
// normalizeDeviceExchangeResponse): the token at the top and nested.
func pymthouseAnswer(tok string, expiresIn int, signerURL string) map[string]any {
	m := map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": expiresIn, "scope": "sign:job",
		"balanceUsdMicros": "0", "lifetimeGrantedUsdMicros": "0",
		"token": map[string]any{"accessToken": tok, "access_token": tok, "expiresIn": expiresIn, "expires_in": expiresIn, "scope": "sign:job"},
	}
	if signerURL != "" {
		m["signerUrl"] = signerURL
	}
	return m
}

// billing answers every exchange with a fresh numbered token of the given lifetime.
func billing(t *testing.T, lifetime int) *fakeSigner {
	return newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, pymthouseAnswer("tok-"+itoa(n), lifetime, "https://signer.example/api/signer"))
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func newTestExchange(t *testing.T, url string, clk *fakeClock, tweak ...func(*ExchangeConfig)) *Exchange {
	t.Helper()
	cfg := ExchangeConfig{BillingURL: url, APIKey: "pmth_secret", MaxRetries: -1}
	for _, f := range tweak {
		f(&cfg)
	}
	x, err := NewExchange(cfg)
	require.NoError(t, err)
	x.now = clk.Now
	x.randN = func(int64) int64 { return 0 }
	t.Cleanup(x.CloseIdleConnections)
	return x
}

func TestExchangeRequestAndAnswer(t *testing.T) {
	f := billing(t, 300)
	clk := newFakeClock()
	x := newTestExchange(t, f.URL+"/dash/", clk, func(c *ExchangeConfig) { c.ClientID = " app_1 " })
	tok, err := x.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Token{AccessToken: "tok-1", Expiry: clk.Now().Add(300 * time.Second), SignerURL: "https://signer.example/api/signer"}, tok)
	reqs := f.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/dash/api/pymthouse/keys/exchange", reqs[0].Path, "the billing URL's path is kept")
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	assert.JSONEq(t, `{"apiKey":"pmth_secret","clientId":"app_1","scope":"sign:job"}`, string(reqs[0].Body))
	assert.Empty(t, reqs[0].Header.Get("Authorization"), "the key travels in the body only")

	// Without a client id, the field is left out (the Python SDK's body).
	g := billing(t, 300)
	y := newTestExchange(t, g.URL+ExchangePath, clk, func(c *ExchangeConfig) { c.Scope = "sign:other" })
	_, err = y.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, ExchangePath, g.requests()[0].Path, "a URL already ending in the exchange path is used as it is")
	assert.JSONEq(t, `{"apiKey":"pmth_secret","scope":"sign:other"}`, string(g.requests()[0].Body))
}

func TestExchangeAnswerShapes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, body string
		want       Token
		field      string // an error naming this field
	}{
		{"nested only", `{"token":{"accessToken":"a","expiresIn":60},"signer_url":"https://s"}`, Token{AccessToken: "a", Expiry: start.Add(time.Minute), SignerURL: "https://s"}, ""},
		{"nested wins", `{"token":{"access_token":"n"},"access_token":"top"}`, Token{AccessToken: "n"}, ""},
		{"top level", `{"accessToken":" t ","expires_in":1.5}`, Token{AccessToken: "t", Expiry: start.Add(1500 * time.Millisecond)}, ""},
		{"token not an object", `{"token":"x","access_token":"t"}`, Token{AccessToken: "t"}, ""},
		{"no expiry", `{"access_token":"t","expires_in":null}`, Token{AccessToken: "t"}, ""},
		{"bearer any case", `{"access_token":"t","token_type":"bearer"}`, Token{AccessToken: "t"}, ""},
		{"missing token", `{"signerUrl":"https://s"}`, Token{}, "access_token"},
		{"blank token", `{"access_token":"  "}`, Token{}, "access_token"},
		{"not bearer", `{"access_token":"t","token_type":"MAC"}`, Token{}, "token_type"},
		{"zero lifetime", `{"access_token":"t","expires_in":0}`, Token{}, "expires_in"},
		{"string lifetime", `{"access_token":"t","expiresIn":"60"}`, Token{}, "expiresIn"},
		{"array", `[]`, Token{}, ""},
		{"not JSON", `<html>`, Token{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(tc.body))}
			tok, err := decodeExchange("https://billing/x", resp, start)
			if tc.want.AccessToken != "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, tok)
				return
			}
			var xe *ExchangeError
			require.ErrorAs(t, err, &xe)
			assert.Equal(t, tc.field, xe.Field)
			assert.ErrorIs(t, err, lperr.ErrUnauthorized)
		})
	}
}

func TestExchangeErrors(t *testing.T) {
	refused := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "invalid api key"})
	})
	x := newTestExchange(t, refused.URL, newFakeClock())
	_, err := x.Token(context.Background())
	var xe *ExchangeError
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 401, xe.StatusCode)
	assert.Equal(t, "invalid_client", xe.Code)
	assert.Equal(t, "invalid api key", xe.Message)
	assert.ErrorIs(t, err, lperr.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "pmth_secret", "the key never appears in errors")
	assert.Contains(t, err.Error(), refused.URL+ExchangePath)

	busy := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { jsonError(w, 503, "down") })
	y := newTestExchange(t, busy.URL, newFakeClock(), func(c *ExchangeConfig) { c.MaxRetries = 2 })
	y.rc.RetryWaitMin, y.rc.RetryWaitMax = time.Millisecond, time.Millisecond
	_, err = y.Token(context.Background())
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, 503, xe.StatusCode)
	assert.EqualValues(t, 3, busy.hits.Load(), "5xx is retried")

	gone := newFakeSigner(t, func(int, http.ResponseWriter, *http.Request, []byte) {})
	gone.Close()
	z := newTestExchange(t, gone.URL, newFakeClock())
	_, err = z.Token(context.Background())
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	require.ErrorAs(t, err, &xe)
	assert.Zero(t, xe.StatusCode)
}

func TestNewExchangeValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg   ExchangeConfig
		field string
	}{
		{ExchangeConfig{BillingURL: "https://b"}, "APIKey"},
		{ExchangeConfig{APIKey: "  ", BillingURL: "https://b"}, "APIKey"},
		{ExchangeConfig{APIKey: "k"}, "BillingURL"},
		{ExchangeConfig{APIKey: "k", BillingURL: "ftp://b"}, "BillingURL"},
		{ExchangeConfig{APIKey: "k", BillingURL: "https://b", Timeout: -1}, "Timeout"},
		{ExchangeConfig{APIKey: "k", BillingURL: "https://b", RefreshAhead: -1}, "RefreshAhead"},
		{ExchangeConfig{APIKey: "k", BillingURL: "https://b", MaxRetries: -2}, "MaxRetries"},
	} {
		_, err := NewExchange(tc.cfg)
		var ce *lperr.ConfigError
		require.ErrorAs(t, err, &ce, "%+v", tc.cfg)
		assert.Equal(t, tc.field, ce.Field)
	}
}

func TestExchangeRefreshesAheadOfExpiry(t *testing.T) {
	f := billing(t, 300)
	clk := newFakeClock()
	x := newTestExchange(t, f.URL, clk)
	ctx := context.Background()
	tok, err := x.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok.AccessToken)

	// Default RefreshAhead (60 s) on a 300 s token: replaced at 240 s.
	clk.Advance(239 * time.Second)
	tok, _ = x.Token(ctx)
	assert.Equal(t, "tok-1", tok.AccessToken, "still fresh: served from the cache")
	assert.EqualValues(t, 1, f.hits.Load())
	clk.Advance(time.Second)
	tok, _ = x.Token(ctx)
	assert.Equal(t, "tok-2", tok.AccessToken, "due: exchanged again before it expires")
	assert.EqualValues(t, 2, f.hits.Load())

	// A 2 s token is replaced after two thirds of its life.
	g := billing(t, 2)
	y := newTestExchange(t, g.URL, clk)
	_, _ = y.Token(ctx)
	clk.Advance(1333 * time.Millisecond)
	tok, _ = y.Token(ctx)
	assert.Equal(t, "tok-1", tok.AccessToken)
	clk.Advance(time.Millisecond)
	tok, _ = y.Token(ctx)
	assert.Equal(t, "tok-2", tok.AccessToken)
}

func TestExchangeJitterStaysWithinHalfTheMargin(t *testing.T) {
	x := &Exchange{ahead: time.Minute}
	start := time.Unix(1000, 0)
	expiry := start.Add(300 * time.Second)
	var maxN int64
	x.randN = func(n int64) int64 { maxN = n; return n - 1 }
	earliest := x.refreshTime(start, expiry)
	assert.Equal(t, expiry.Add(-90*time.Second), earliest, "margin 60 s plus at most 30 s of jitter")
	assert.Equal(t, int64(30*time.Second)+1, maxN)
	x.randN = func(int64) int64 { return 0 }
	assert.Equal(t, expiry.Add(-time.Minute), x.refreshTime(start, expiry))
	assert.True(t, x.refreshTime(start, time.Time{}).After(start.AddDate(50, 0, 0)), "no expiry: kept until refused")
}

func TestExchangeSingleFlight(t *testing.T) {
	release := make(chan struct{})
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		<-release
		writeJSON(w, 200, pymthouseAnswer("tok-"+itoa(n), 300, ""))
	})
	x := newTestExchange(t, f.URL, newFakeClock())
	const callers = 16
	var wg sync.WaitGroup
	got := make([]Token, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { got[i], errs[i] = x.Token(context.Background()) })
	}
	require.Eventually(t, func() bool { return f.hits.Load() == 1 }, 10*time.Second, 5*time.Millisecond)
	close(release)
	wg.Wait()
	for i := range callers {
		require.NoError(t, errs[i])
		assert.Equal(t, "tok-1", got[i].AccessToken)
	}
	assert.EqualValues(t, 1, f.hits.Load(), "concurrent callers share one exchange")
}

func TestExchangeKeepsValidTokenWhenRefreshFails(t *testing.T) {
	var fail sync.Mutex
	failing := false
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			jsonError(w, 500, "boom")
			return
		}
		writeJSON(w, 200, pymthouseAnswer("tok-"+itoa(n), 300, ""))
	})
	clk := newFakeClock()
	x := newTestExchange(t, f.URL, clk)
	ctx := context.Background()
	_, err := x.Token(ctx)
	require.NoError(t, err)
	fail.Lock()
	failing = true
	fail.Unlock()

	clk.Advance(250 * time.Second) // due for refresh, still valid for 50 s
	tok, err := x.Token(ctx)
	require.NoError(t, err, "a failed refresh keeps the valid token")
	assert.Equal(t, "tok-1", tok.AccessToken)
	assert.EqualValues(t, 2, f.hits.Load())
	tok, err = x.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok.AccessToken)
	assert.EqualValues(t, 2, f.hits.Load(), "the next try waits until halfway to expiry")
	clk.Advance(25 * time.Second)
	_, err = x.Token(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 3, f.hits.Load())

	clk.Advance(30 * time.Second) // expired
	_, err = x.Token(ctx)
	var xe *ExchangeError
	require.ErrorAs(t, err, &xe, "an expired token is never returned")
	assert.Equal(t, 500, xe.StatusCode)
}

func TestExchangeInvalidate(t *testing.T) {
	f := billing(t, 300)
	x := newTestExchange(t, f.URL, newFakeClock())
	ctx := context.Background()
	first, _ := x.Token(ctx)
	x.Invalidate(first)
	second, err := x.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", second.AccessToken, "a refused token is exchanged again")
	x.Invalidate(first) // stale: already replaced
	third, _ := x.Token(ctx)
	assert.Equal(t, "tok-2", third.AccessToken, "invalidating an old token does not drop the new one")
	assert.EqualValues(t, 2, f.hits.Load())

	// A refused token is not kept as a fallback when the exchange fails.
	g := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n == 1 {
			writeJSON(w, 200, pymthouseAnswer("only", 300, ""))
			return
		}
		jsonError(w, 500, "boom")
	})
	y := newTestExchange(t, g.URL, newFakeClock())
	tok, _ := y.Token(ctx)
	y.Invalidate(tok)
	_, err = y.Token(ctx)
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
}

func TestExchangeHonoursContext(t *testing.T) {
	release := make(chan struct{})
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		writeJSON(w, 200, pymthouseAnswer("tok-"+itoa(n), 300, ""))
	})
	defer close(release)
	x := newTestExchange(t, f.URL, newFakeClock())

	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() { _, err := x.Token(leaderCtx); leaderErr <- err }()
	require.Eventually(t, func() bool { return f.hits.Load() == 1 }, 10*time.Second, 5*time.Millisecond)

	// A waiter whose own ctx ends returns at once.
	short, cancelShort := context.WithCancel(context.Background())
	shortErr := make(chan error, 1)
	go func() { _, err := x.Token(short); shortErr <- err }()
	// A waiter with a live ctx takes over when the leader gives up.
	waiter := make(chan Token, 1)
	go func() { tok, err := x.Token(context.Background()); assert.NoError(t, err); waiter <- tok }()

	cancelShort()
	select {
	case err := <-shortErr:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter did not return when its ctx ended")
	}
	cancelLeader()
	select {
	case err := <-leaderErr:
		require.ErrorIs(t, err, context.Canceled)
		var xe *ExchangeError
		require.True(t, errors.As(err, &xe))
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not return when its ctx ended")
	}
	select {
	case tok := <-waiter:
		assert.Equal(t, "tok-2", tok.AccessToken)
	case <-time.After(10 * time.Second):
		t.Fatal("the remaining waiter did not exchange after the leader gave up")
	}
}

func TestExchangeFailureIsHeldBriefly(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n < 3 {
			jsonError(w, 500, "boom")
			return
		}
		writeJSON(w, 200, pymthouseAnswer("tok-"+itoa(n), 300, ""))
	})
	clk := newFakeClock()
	x := newTestExchange(t, f.URL, clk)
	ctx := context.Background()
	_, err := x.Token(ctx)
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	_, err2 := x.Token(ctx)
	require.Same(t, err, err2, "the same failure, not a new exchange")
	assert.EqualValues(t, 1, f.hits.Load())
	clk.Advance(time.Second)
	_, err = x.Token(ctx)
	require.Error(t, err)
	assert.EqualValues(t, 2, f.hits.Load(), "asked again after the hold")
	clk.Advance(time.Second)
	tok, err := x.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-3", tok.AccessToken)
}
