package signer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// rotatingSource hands out "t1", "t2"... and replaces its token only when
// it is invalidated, counting the invalidations.
type rotatingSource struct {
	mu          sync.Mutex
	n           int
	invalidated int
	signerURL   string
}

func (s *rotatingSource) Token(context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		s.n = 1
	}
	return Token{AccessToken: "t" + itoa(s.n), SignerURL: s.signerURL}, nil
}

func (s *rotatingSource) Invalidate(rejected Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rejected.AccessToken == "t"+itoa(s.n) {
		s.n++
		s.invalidated++
	}
}

// acceptOnly answers sign-orchestrator-info for requests bearing one of
// the accepted tokens and 401 otherwise.
func acceptOnly(t *testing.T, accepted ...string) *fakeSigner {
	return newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		for _, a := range accepted {
			if r.Header.Get("Authorization") == "Bearer "+a {
				writeJSON(w, 200, map[string]string{"address": "0x" + strings.Repeat("ab", 20), "signature": "0x" + strings.Repeat("11", 65)})
				return
			}
		}
		writeJSON(w, 401, map[string]string{"error": "invalid_token"})
	})
}

func TestTokenSentAsBearer(t *testing.T) {
	f := acceptOnly(t, "t1")
	c := fastClient(t, []string{f.URL}, func(cfg *Config) {
		cfg.Headers = http.Header{"Authorization": {"Bearer static"}, "X-Tenant": {"acme"}}
		cfg.Tokens = &rotatingSource{}
	})
	_, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	h := f.requests()[0].Header
	assert.Equal(t, []string{"Bearer t1"}, h.Values("Authorization"), "the token replaces a static Authorization")
	assert.Equal(t, "acme", h.Get("X-Tenant"), "other headers are kept")
}

func TestUnauthorizedRefreshesOnceAndRetries(t *testing.T) {
	f := acceptOnly(t, "t2")
	src := &rotatingSource{}
	c := fastClient(t, []string{f.URL}, func(cfg *Config) { cfg.Tokens = src })
	_, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err, "a 401 invalidates the token and the call is retried with a fresh one")
	reqs := f.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "Bearer t1", reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer t2", reqs[1].Header.Get("Authorization"))
	assert.Equal(t, 1, src.invalidated)

	// A signer that refuses every token: one retry, then the 401 is the answer.
	g := acceptOnly(t)
	src2 := &rotatingSource{}
	c2 := fastClient(t, []string{g.URL}, func(cfg *Config) { cfg.Tokens = src2 })
	_, err = c2.GenerateLivePayment(context.Background(), payReq())
	require.ErrorIs(t, err, lperr.ErrUnauthorized)
	assert.EqualValues(t, 2, g.hits.Load(), "exactly one retry")
	assert.Equal(t, 1, src2.invalidated)
}

func TestUnauthorizedWithoutFreshTokenIsNotRetried(t *testing.T) {
	f := acceptOnly(t)
	static := TokenSourceFunc(func(context.Context) (Token, error) { return Token{AccessToken: "same"}, nil })
	c := fastClient(t, []string{f.URL}, func(cfg *Config) { cfg.Tokens = static })
	_, err := c.SignOrchestratorInfo(context.Background())
	require.ErrorIs(t, err, lperr.ErrUnauthorized)
	assert.EqualValues(t, 1, f.hits.Load(), "the same token is not sent twice")

	// Without a TokenSource a 401 is an answer, never retried.
	d := fastClient(t, []string{f.URL})
	_, err = d.SignOrchestratorInfo(context.Background())
	require.ErrorIs(t, err, lperr.ErrUnauthorized)
	assert.EqualValues(t, 2, f.hits.Load())
}

func TestSignerURLFromToken(t *testing.T) {
	f := acceptOnly(t, "t1")
	c := fastClient(t, nil, func(cfg *Config) { cfg.Tokens = &rotatingSource{signerURL: f.URL + "/sign-orchestrator-info"} })
	require.False(t, c.Offchain(), "a token source makes the Client on-chain")
	sig, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, f.URL, sig.Signer)
	assert.Equal(t, "/sign-orchestrator-info", f.requests()[0].Path)

	// Configured URLs win over the token's.
	other := acceptOnly(t, "t1")
	d := fastClient(t, []string{other.URL}, func(cfg *Config) { cfg.Tokens = &rotatingSource{signerURL: f.URL} })
	_, err = d.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, other.hits.Load())
	assert.EqualValues(t, 1, f.hits.Load())

	// Neither: a clear error.
	e := fastClient(t, nil, func(cfg *Config) { cfg.Tokens = &rotatingSource{} })
	_, err = e.SignOrchestratorInfo(context.Background())
	require.ErrorIs(t, err, ErrNoSigner)
}

func TestTokenSourceFailures(t *testing.T) {
	f := acceptOnly(t, "t1")
	xerr := &ExchangeError{URL: "https://billing", StatusCode: 503, Kind: lperr.ErrSignerUnavailable}
	c := fastClient(t, []string{f.URL}, func(cfg *Config) {
		cfg.Tokens = TokenSourceFunc(func(context.Context) (Token, error) { return Token{}, xerr })
	})
	_, err := c.GenerateLivePayment(context.Background(), payReq())
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, pathLivePayment, se.Op)
	assert.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	var got *ExchangeError
	require.ErrorAs(t, err, &got)
	assert.Same(t, xerr, got)
	assert.Zero(t, f.hits.Load(), "no signer call without a token")

	for _, bad := range []string{"", "  ", "a\nb"} {
		c := fastClient(t, []string{f.URL}, func(cfg *Config) {
			cfg.Tokens = TokenSourceFunc(func(context.Context) (Token, error) { return Token{AccessToken: bad}, nil })
		})
		_, err := c.SignOrchestratorInfo(context.Background())
		require.ErrorIs(t, err, lperr.ErrUnauthorized, "%q", bad)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c = fastClient(t, []string{f.URL}, func(cfg *Config) {
		cfg.Tokens = TokenSourceFunc(func(ctx context.Context) (Token, error) { return Token{}, ctx.Err() })
	})
	_, err = c.SignOrchestratorInfo(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, lperr.ErrUnauthorized), "a cancelled call is not an auth failure")
	assert.Zero(t, f.hits.Load())
}
