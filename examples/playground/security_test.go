package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func TestCookiesAreHttpOnlySameSite(t *testing.T) {
	a := newTestApp(t, 1000)
	b := newBrowser(t, a.URL)
	tok := b.csrf("/signup")
	resp, _ := b.post("/signup", url.Values{"csrf": {tok}, "email": {"c@example.com"}, "password": {"long enough pw"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "pg_session" {
			found = true
			require.True(t, c.HttpOnly, "session cookie must be HttpOnly")
			require.Equal(t, http.SameSiteLaxMode, c.SameSite)
			require.Equal(t, "/", c.Path)
		}
	}
	require.True(t, found)
	resp, err := http.Get(a.URL + "/signin")
	require.NoError(t, err)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		require.True(t, c.HttpOnly, c.Name)
		require.Equal(t, http.SameSiteLaxMode, c.SameSite, c.Name)
	}
}

func TestCSRFOnStateChangingForms(t *testing.T) {
	a := newTestApp(t, 1000)
	alice := newBrowser(t, a.URL)
	alice.signUp("alice@example.com", "long enough pw")
	mallory := newBrowser(t, a.URL)
	mallory.signUp("mallory@example.com", "long enough pw")
	malloryTok := mallory.csrf("/keys")

	for _, tc := range []struct {
		name string
		tok  string
	}{{"missing", ""}, {"another session's token", malloryTok}, {"garbage", "x"}} {
		resp, _ := alice.post("/keys", url.Values{"csrf": {tc.tok}, "name": {"evil"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, tc.name)
	}
	// Sign-up, sign-in, sign-out and the run API need it too.
	anon := newBrowser(t, a.URL)
	resp, _ := anon.post("/signup", url.Values{"email": {"x@example.com"}, "password": {"long enough pw"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = anon.post("/signin", url.Values{"email": {"alice@example.com"}, "password": {"long enough pw"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = alice.post("/signout", url.Values{})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	r, err := alice.c.Post(a.URL+"/api/runs", "application/json", strings.NewReader(`{"workflow":"daydreamlive/streamdiffusion"}`))
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusForbidden, r.StatusCode)
	// A cross-site Origin is refused even with a valid token.
	tok := alice.csrf("/keys")
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/keys", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	r, err = alice.c.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusForbidden, r.StatusCode)
	keys, err := a.Store.Keys(context.Background(), mustUser(t, a, "alice@example.com"))
	require.NoError(t, err)
	require.Empty(t, keys, "no forged request created a key")
}

func mustUser(t *testing.T, a *app, email string) int64 {
	u, err := a.Store.UserByEmail(context.Background(), email)
	require.NoError(t, err)
	return u.ID
}

func TestSignInIsRateLimited(t *testing.T) {
	a := newTestApp(t, 1000)
	b := newBrowser(t, a.URL)
	b.signUp("r@example.com", "right password")
	anon := newBrowser(t, a.URL)
	tok := anon.csrf("/signin")
	var limited bool
	for i := range 15 {
		resp, _ := anon.post("/signin", url.Values{"csrf": {tok}, "email": {"r@example.com"}, "password": {"wrong"}})
		if resp.StatusCode == http.StatusTooManyRequests {
			require.NotEmpty(t, resp.Header.Get("Retry-After"))
			limited = true
			require.GreaterOrEqual(t, i, 10, "the first 10 attempts are allowed")
			break
		}
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	require.True(t, limited, "sign-in must be throttled")
	// Even the right password is refused while throttled.
	resp, _ := anon.post("/signin", url.Values{"csrf": {tok}, "email": {"r@example.com"}, "password": {"right password"}})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
}

func TestRunsNeedASession(t *testing.T) {
	a := newTestApp(t, 1000)
	anon := newBrowser(t, a.URL)
	tok := anon.csrf("/models/daydreamlive/streamdiffusion")
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/runs", strings.NewReader(`{"workflow":"daydreamlive/streamdiffusion"}`))
	req.Header.Set("X-CSRF-Token", tok)
	resp, err := anon.c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, string(body), `"kind":"signed-out"`)
	_, page := anon.get("/models/daydreamlive/streamdiffusion")
	require.Contains(t, page, "Sign in to run")
	require.NotContains(t, page, `id="run"`)
}

func TestParamsValidatedServerSide(t *testing.T) {
	a := newTestApp(t, 1000)
	b := newBrowser(t, a.URL)
	b.signUp("p@example.com", "long enough pw")
	tok := b.csrf("/models/daydreamlive/streamdiffusion")
	for body, field := range map[string]string{
		`{"guidance_scale": 5}`:       "guidance_scale",
		`{"t_index_list": [40, 10]}`:  "t_index_list",
		`{"num_inference_steps": 0}`:  "num_inference_steps",
		`{"t_index_list": [60]}`:      "t_index_list", // ≥ num_inference_steps (50)
		`{"model_id": "other/model"}`: "model_id",
	} {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/runs", strings.NewReader(`{"workflow":"daydreamlive/streamdiffusion","params":`+body+`}`))
		req.Header.Set("X-CSRF-Token", tok)
		resp, err := b.c.Do(req)
		require.NoError(t, err)
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		require.Contains(t, string(out), `"field":"`+field+`"`, body)
	}
}

// TestKeysAreIsolatedAndRevocationIsImmediate: one user cannot see, revoke
// or spend another's key, and a revoked key stops paying on the next call.
func TestKeysAreIsolatedAndRevocationIsImmediate(t *testing.T) {
	a := newTestApp(t, 1_000_000_000_000_000)
	alice := newBrowser(t, a.URL)
	alice.signUp("alice@example.com", "long enough pw")
	aliceKey := alice.createKey("a")
	bob := newBrowser(t, a.URL)
	bob.signUp("bob@example.com", "long enough pw")
	bob.createKey("b")

	_, bobPage := bob.get("/keys")
	require.NotContains(t, bobPage, aliceKey[:12], "bob cannot list alice's key")
	keys, err := a.Store.Keys(context.Background(), mustUser(t, a, "alice@example.com"))
	require.NoError(t, err)
	tok := bob.csrf("/keys")
	resp, _ := bob.post("/keys/"+itoa(keys[0].ID)+"/revoke", url.Values{"csrf": {tok}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "bob cannot revoke alice's key")

	gw, err := livepeer.NewGateway(livepeer.Config{SignerURL: a.URL, SignerHeaders: map[string]string{"Authorization": "Bearer " + aliceKey}, DiscoveryURL: a.URL + "/discover-orchestrators", DiscoveryHeaders: map[string]string{"Authorization": "Bearer " + aliceKey}})
	require.NoError(t, err)
	defer gw.Close()
	_, err = gw.Signer().SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	infos, err := gw.Orchestrators(context.Background(), "live-video-to-video/streamdiffusion")
	require.NoError(t, err)
	require.NotEmpty(t, infos)

	tok = alice.csrf("/keys")
	resp, _ = alice.post("/keys/"+itoa(keys[0].ID)+"/revoke", url.Values{"csrf": {tok}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, err = gw.Signer().GenerateLivePayment(context.Background(), &signer.PaymentRequest{Orchestrator: infos[0], Type: signer.TypeLV2V})
	require.ErrorIs(t, err, livepeer.ErrUnauthorized, "revocation takes effect immediately")
	resp2, err := http.Get(a.URL + "/discover-orchestrators")
	require.NoError(t, err)
	resp2.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp2.StatusCode)
	bu, err := a.Store.UserByEmail(context.Background(), "bob@example.com")
	require.NoError(t, err)
	require.Zero(t, bu.SpentWei)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestServesLandingQuickly is the fresh-clone check: `run` with -addr
// serves the landing page (200, "Sign in to run") within 30 s on SQLite and
// the in-process network.
func TestServesLandingQuickly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	var wg sync.WaitGroup
	dbPath := filepath.Join(t.TempDir(), "pg.db")
	wg.Go(func() {
		err := run(ctx, []string{"-addr", addr, "-db", dbPath}, &out, io.Discard)
		assert.NoError(t, err)
	})
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "Sign in to run")
	}, 30*time.Second, 50*time.Millisecond)
	t.Logf("landing page served after %v", time.Since(start))
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "http://"+addr) }, 5*time.Second, 10*time.Millisecond, "prints the URL")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Database: "+dbPath+" (sqlite)") }, 5*time.Second, 10*time.Millisecond,
		"prints where the database is: %s", out.String())
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
