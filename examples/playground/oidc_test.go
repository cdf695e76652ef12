package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/web"
	"github.com/stretchr/testify/require"
)

// fakeOP is an in-process OpenID provider: discovery, JWKS (a fresh RSA
// key), an authorize endpoint that redirects straight back with a code,
// and a token endpoint returning an RS256 ID token carrying the nonce.
type fakeOP struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu       sync.Mutex
	codes    map[string]authReq
	sub      string
	email    string
	audience string // "" = the client id
	nonce    string // "" = the one from the authorize request
}

type authReq struct{ nonce, challenge string }

const opClientID = "playground-test"

func newFakeOP(t *testing.T) *fakeOP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	op := &fakeOP{key: key, codes: map[string]authReq{}}
	mux := http.NewServeMux()
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	iss := op.srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSONT(w, map[string]any{"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSONT(w, map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != opClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		code := "code-" + q.Get("state")
		op.mu.Lock()
		op.codes[code] = authReq{nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
		op.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		op.mu.Lock()
		ar, ok := op.codes[r.PostForm.Get("code")]
		delete(op.codes, r.PostForm.Get("code"))
		sub, email, aud, nonce := op.sub, op.email, op.audience, op.nonce
		op.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || b64(sum[:]) != ar.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		if aud == "" {
			aud = opClientID
		}
		if nonce == "" {
			nonce = ar.nonce
		}
		now := time.Now().Unix()
		idt := op.sign(map[string]any{"iss": iss, "sub": sub, "aud": aud, "exp": now + 300, "iat": now,
			"nonce": nonce, "email": email, "email_verified": true})
		writeJSONT(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idt})
	})
	return op
}

// sign writes a compact RS256 JWS with the stdlib.
func (op *fakeOP) sign(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, op.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return in + "." + b64(sig)
}

func (op *fakeOP) set(f func(*fakeOP)) { op.mu.Lock(); f(op); op.mu.Unlock() }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeJSONT(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// oidcLogin runs the redirect dance and returns the callback's status.
func oidcLogin(t *testing.T, b *browser, tamperState bool) int {
	t.Helper()
	resp, err := b.c.Get(b.base + "/auth/oidc/start?next=/keys")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	resp, err = b.c.Get(resp.Header.Get("Location")) // the provider's authorize page
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(cb, b.base+"/auth/oidc/callback?"), cb)
	if tamperState {
		cb = strings.Replace(cb, "state=", "state=x", 1)
	}
	resp, err = b.c.Get(cb)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode == http.StatusSeeOther {
		require.Equal(t, "/keys", resp.Header.Get("Location"))
	}
	return resp.StatusCode
}

// TestOIDCSignIn: a first provider login creates the account on the trial
// budget and signs in; a second reuses it; a wrong state, nonce or
// audience is refused and signs nobody in.
func TestOIDCSignIn(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(o *fakeOP) { o.sub, o.email = "user-1", "oidc@example.com" })
	const budget = 3_000_000_000_000_000
	a, err := startApp(context.Background(), appConfig{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "pg.db"), TrialBudgetWei: big.NewInt(budget),
		BcryptCost: 4, SignerHeaders: map[string]string{}, DisableLiveRuns: true,
		OIDC: &web.OIDCConfig{Issuer: op.srv.URL, ClientID: opClientID, ClientSecret: "s3cret"},
	})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	signedInAs := func(b *browser) string {
		_, body := b.get("/keys")
		if i := strings.Index(body, `<span class="who" id="who">`); i >= 0 {
			rest := body[i+len(`<span class="who" id="who">`):]
			return rest[:strings.Index(rest, "<")]
		}
		return ""
	}

	b1 := newBrowser(t, a.URL)
	require.Equal(t, http.StatusSeeOther, oidcLogin(t, b1, false))
	require.Equal(t, "oidc@example.com", signedInAs(b1))
	u1, err := a.Store.UserByEmail(context.Background(), "oidc@example.com")
	require.NoError(t, err)
	require.Equal(t, int64(budget), u1.CapWei, "new account on the trial budget")

	b2 := newBrowser(t, a.URL)
	require.Equal(t, http.StatusSeeOther, oidcLogin(t, b2, false))
	require.Equal(t, "oidc@example.com", signedInAs(b2))
	u2, err := a.Store.UserByEmail(context.Background(), "oidc@example.com")
	require.NoError(t, err)
	require.Equal(t, u1.ID, u2.ID, "the second login reuses the account")

	for _, tc := range []struct {
		name  string
		state bool
		set   func(*fakeOP)
	}{
		{"wrong state", true, func(*fakeOP) {}},
		{"wrong nonce", false, func(o *fakeOP) { o.nonce = "not-the-nonce" }},
		{"wrong audience", false, func(o *fakeOP) { o.audience = "someone-else" }},
	} {
		op.set(func(o *fakeOP) { o.nonce, o.audience, o.sub, o.email = "", "", "user-2", "evil@example.com" })
		op.set(tc.set)
		b := newBrowser(t, a.URL)
		require.Equal(t, http.StatusUnauthorized, oidcLogin(t, b, tc.state), tc.name)
		require.Empty(t, signedInAs(b), tc.name)
		_, err := a.Store.UserByEmail(context.Background(), "evil@example.com")
		require.Error(t, err, "%s: no account created", tc.name)
	}
}
