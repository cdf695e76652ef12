package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// browser is a cookie-keeping HTTP client that fills the forms like a user.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
var newKeyRe = regexp.MustCompile(`<code id="new-key">([^<]+)</code>`)

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// csrf loads path and returns the page's CSRF token.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := metaCSRF.FindStringSubmatch(body)
	require.NotNil(b.t, m, "no csrf token on %s", path)
	return m[1]
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) signUp(email, pw string) {
	b.t.Helper()
	tok := b.csrf("/signup")
	resp, body := b.post("/signup", url.Values{"csrf": {tok}, "email": {email}, "password": {pw}, "next": {"/"}})
	require.Equal(b.t, http.StatusSeeOther, resp.StatusCode, body)
}

func (b *browser) createKey(name string) string {
	b.t.Helper()
	tok := b.csrf("/keys")
	resp, body := b.post("/keys", url.Values{"csrf": {tok}, "name": {name}})
	require.Equal(b.t, http.StatusCreated, resp.StatusCode, body)
	m := newKeyRe.FindStringSubmatch(body)
	require.NotNil(b.t, m)
	return strings.TrimSpace(m[1])
}
