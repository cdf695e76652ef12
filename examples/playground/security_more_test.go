package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSignInTakesAsLongForUnknownEmails: a sign-in for an email without an
// account costs the same bcrypt comparison as one with a wrong password
// (it answered in ~2 ms instead of ~100 ms, telling which emails exist).
// Medians of three tries each at a bcrypt cost high enough to dominate a
// request (8); the bound is a ratio, so a busy machine slows both alike.
func TestSignInTakesAsLongForUnknownEmails(t *testing.T) {
	a := startTestApp(t, appConfig{BcryptCost: 8, DisableLiveRuns: true})
	owner := newBrowser(t, a.URL)
	owner.signUp("known@example.com", "correct horse battery")
	b := newBrowser(t, a.URL)
	tok := b.csrf("/signin")
	median := func(email string) time.Duration {
		var ds []time.Duration
		for range 3 {
			start := time.Now()
			resp, body := b.post("/signin", url.Values{"csrf": {tok}, "email": {email}, "password": {"wrong password"}})
			ds = append(ds, time.Since(start))
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			require.Contains(t, body, "wrong email or password")
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	known, unknown := median("known@example.com"), median("nobody@example.com")
	t.Logf("median sign-in: known email %v, unknown email %v", known, unknown)
	require.Greater(t, unknown, known/2, "an unknown email must cost the same password check")
}

// TestSignUpDoesNotSayAnAccountExists: signing up with a taken email and
// another password gets a failure that does not say the account exists
// (it said "An account with this email exists"); with the owner's own
// password it signs them in, as a new account would.
func TestSignUpDoesNotSayAnAccountExists(t *testing.T) {
	a := startTestApp(t, appConfig{DisableLiveRuns: true})
	newBrowser(t, a.URL).signUp("taken@example.com", "correct horse battery")
	b := newBrowser(t, a.URL)
	tok := b.csrf("/signup")
	resp, body := b.post("/signup", url.Values{"csrf": {tok}, "email": {"taken@example.com"}, "password": {"another password"}})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.NotContains(t, strings.ToLower(body), "exists")
	require.Contains(t, body, "could not create an account with this email and password")
	require.Contains(t, body, `value="taken@example.com"`, "the email field keeps what was typed")
	resp, _ = b.post("/signup", url.Values{"csrf": {tok}, "email": {"taken@example.com"}, "password": {"correct horse battery"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the owner's own password signs them in")
}

// signInFrom posts a sign-in to the server as a client at ip would.
func signInFrom(t *testing.T, a *app, ip, email, pw string) int {
	t.Helper()
	get := httptest.NewRequest(http.MethodGet, "/signin", nil)
	get.RemoteAddr = ip + ":40000"
	rec := httptest.NewRecorder()
	a.Web.ServeHTTP(rec, get)
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	require.NotNil(t, m)
	form := url.Values{"csrf": {m[1]}, "email": {email}, "password": {pw}}
	post := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(form.Encode()))
	post.RemoteAddr = ip + ":40001"
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range rec.Result().Cookies() {
		post.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	a.Web.ServeHTTP(rec, post)
	_, _ = io.Copy(io.Discard, rec.Body)
	return rec.Code
}

// TestStrangerCannotLockTheOwnerOut: wrong passwords for someone's email
// throttle the address they come from, not the account (10 bad sign-ins a
// minute from anywhere locked the owner out with 429).
func TestStrangerCannotLockTheOwnerOut(t *testing.T) {
	a := startTestApp(t, appConfig{DisableLiveRuns: true})
	newBrowser(t, a.URL).signUp("victim@example.com", "correct horse battery")
	limited := false
	for range 15 {
		code := signInFrom(t, a, "203.0.113.7", "victim@example.com", "guess")
		if code == http.StatusTooManyRequests {
			limited = true
			break
		}
		require.Equal(t, http.StatusUnauthorized, code)
	}
	require.True(t, limited, "the stranger is throttled")
	require.Equal(t, http.StatusSeeOther, signInFrom(t, a, "198.51.100.2", "victim@example.com", "correct horse battery"),
		"the owner still signs in from their own address")
	// Spreading guesses over many emails from one address is throttled too.
	limited = false
	for i := range 40 {
		if signInFrom(t, a, "203.0.113.8", "user"+itoa(int64(i))+"@example.com", "guess") == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	require.True(t, limited, "one address is limited over all emails")
}

// TestSecurityHeaders: every answer carries a Content-Security-Policy that
// allows only the site's own scripts and styles (none did), and HSTS when
// the playground is served over https.
func TestSecurityHeaders(t *testing.T) {
	a := startTestApp(t, appConfig{DisableLiveRuns: true})
	for _, path := range []string{"/", "/signin", "/models/daydreamlive/streamdiffusion", "/static/app.js"} {
		resp, err := http.Get(a.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "script-src 'self'", path)
		require.Contains(t, csp, "frame-ancestors 'none'", path)
		require.NotContains(t, csp, "unsafe-inline", path)
		require.Empty(t, resp.Header.Get("Strict-Transport-Security"), "no HSTS over plain http")
	}
	// The pages use no inline script or style the policy would block.
	_, page := newBrowser(t, a.URL).get("/models/daydreamlive/streamdiffusion")
	require.NotContains(t, page, "style=")
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		require.True(t, strings.Contains(m[1], "src=") || strings.Contains(m[1], `type="application/json"`),
			"inline script %q: only application/json data blocks may be inline", m[0])
	}

	secure := startTestApp(t, appConfig{DisableLiveRuns: true, BaseURL: "https://play.example"})
	resp, err := http.Get(secure.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "max-age=31536000; includeSubDomains", resp.Header.Get("Strict-Transport-Security"))
}

var scriptTag = regexp.MustCompile(`<script([^>]*)>`)

// TestSaysWhenFFmpegIsMissing: without ffmpeg the simulated network's runs
// all fail, so the start-up lines and every page say so, with the install
// command (the playground used to start and say nothing). The landing
// page's title is not doubled.
func TestSaysWhenFFmpegIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no ffmpeg here
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-db", filepath.Join(t.TempDir(), "pg.db")}, &out, io.Discard)
	}()
	defer func() { cancel(); require.NoError(t, <-done) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Open http://") }, 30*time.Second, 20*time.Millisecond)
	require.Contains(t, out.String(), "ffmpeg is not in PATH")
	require.Contains(t, out.String(), "apt-get install ffmpeg")
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), `id="ffmpeg-banner"`)
	require.Contains(t, string(body), "apt-get install ffmpeg")
	require.Contains(t, string(body), "<title>Livepeer playground</title>", "one title, not two")
}
