package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

// sessionCookieValue returns b's pg_session cookie.
func (b *browser) sessionCookieValue() string {
	b.t.Helper()
	u, err := url.Parse(b.base)
	require.NoError(b.t, err)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "pg_session" {
			return c.Value
		}
	}
	b.t.Fatal("no session cookie")
	return ""
}

// TestSignerSessionCookie: the page's session cookie with its CSRF header
// authorises the hosted signer (a real SDK session pays through it and is
// metered to the account); without the header, with another session's
// token, or once the session is revoked, the signer refuses at once.
func TestSignerSessionCookie(t *testing.T) {
	a := newTestApp(t, 1_000_000_000_000_000)
	b := newBrowser(t, a.URL)
	b.signUp("cookie@example.com", "correct horse battery")
	csrf := b.csrf("/models/daydreamlive/streamdiffusion")
	sid := b.sessionCookieValue()
	mallory := newBrowser(t, a.URL)
	mallory.signUp("mallory@example.com", "correct horse battery")
	malloryCSRF := mallory.csrf("/models/daydreamlive/streamdiffusion")

	call := func(cookie, token string) int {
		req, err := http.NewRequest(http.MethodGet, a.URL+"/discover-orchestrators", nil)
		require.NoError(t, err)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "pg_session", Value: cookie})
		}
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, call(sid, csrf), "cookie + CSRF header")
	require.Equal(t, http.StatusUnauthorized, call(sid, ""), "cookie without the CSRF header")
	require.Equal(t, http.StatusUnauthorized, call(sid, malloryCSRF), "another session's CSRF token")
	require.Equal(t, http.StatusUnauthorized, call("", csrf), "CSRF header without the cookie")

	// A real session pays through the cookie path, metered to the account.
	hdr := map[string]string{"Cookie": "pg_session=" + sid, "X-CSRF-Token": csrf}
	gw, err := livepeer.NewGateway(livepeer.Config{SignerURL: a.URL, SignerHeaders: hdr,
		DiscoveryURL: a.URL + "/discover-orchestrators", DiscoveryHeaders: hdr})
	require.NoError(t, err)
	defer gw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "live-video-to-video/streamdiffusion", map[string]any{"prompt": "x"})
	require.NoError(t, err)
	require.NoError(t, sess.Close())
	u, err := a.Store.UserByEmail(context.Background(), "cookie@example.com")
	require.NoError(t, err)
	us, err := a.Store.Usage(context.Background(), u.ID)
	require.NoError(t, err)
	require.Positive(t, us.Payments, "the session's payment was metered to the cookie's account")
	require.Positive(t, us.SpentWei)

	// Revoke the session (sign out): the same cookie and token are refused
	// on the very next call.
	resp, body := b.post("/signout", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, http.StatusUnauthorized, call(sid, csrf), "revoked session")
	_, err = gw.Live(ctx, "live-video-to-video/streamdiffusion", map[string]any{"prompt": "x"})
	require.ErrorIs(t, err, livepeer.ErrUnauthorized, "the SDK sees the revoked session as unauthorised")
}
