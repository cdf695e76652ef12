package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/signerproxy"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
)

// Cookie names.
const (
	sessionCookie = "pg_session" // the signed-in session id
	preCookie     = "pg_pre"     // binds the CSRF token of signed-out forms
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	runTokenPfx   = "pgr_" // Bearer tokens of the page's own runs
)

const sessionTTL = 7 * 24 * time.Hour

type ctxKey int

const userKey ctxKey = 1

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setCookie writes an HttpOnly, SameSite=Lax cookie (Secure over https).
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// currentUser returns the signed-in user, or nil.
func (s *Server) currentUser(r *http.Request) *store.User {
	if u, ok := r.Context().Value(userKey).(*store.User); ok {
		return u
	}
	return nil
}

// withUser resolves the session cookie once per request.
func (s *Server) withUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid := cookieValue(r, sessionCookie); sid != "" {
			if u, err := s.store.SessionUser(r.Context(), sid); err == nil {
				r = r.WithContext(context.WithValue(r.Context(), userKey, u))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// csrfBinding is what a request's CSRF token is bound to: the session id
// when signed in, else the pre-session cookie (set on demand).
func (s *Server) csrfBinding(w http.ResponseWriter, r *http.Request) string {
	if sid := cookieValue(r, sessionCookie); sid != "" && s.currentUser(r) != nil {
		return "s:" + sid
	}
	pre := cookieValue(r, preCookie)
	if pre == "" && w != nil {
		pre = randomString(24)
		s.setCookie(w, preCookie, pre, 0)
		// make the new value visible to this request's later lookups
		r.AddCookie(&http.Cookie{Name: preCookie, Value: pre})
	}
	return "p:" + pre
}

func (s *Server) csrfFor(binding string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("csrf\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token to embed in the page's forms.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return s.csrfFor(s.csrfBinding(w, r))
}

// checkCSRF verifies the token of a state-changing request (form field or
// X-CSRF-Token header) and, when the browser sends one, its Origin.
func (s *Server) checkCSRF(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	if got == "" {
		return false
	}
	want := s.csrfFor(s.csrfBinding(nil, r))
	return hmac.Equal([]byte(got), []byte(want))
}

// requireCSRF wraps a state-changing handler.
func (s *Server) requireCSRF(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.checkCSRF(r) {
			http.Error(w, "invalid or missing CSRF token; reload the page and try again", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

// hashPassword and checkPassword use bcrypt.
func (s *Server) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.bcryptCost)
	return string(h), err
}

// checkPassword compares pw with hash. An account without a password (or
// no account: hash "") is compared with the server's decoy hash, so every
// sign-in costs one bcrypt comparison and takes about as long whether the
// email is known or not; it then fails.
func (s *Server) checkPassword(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(s.decoyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// limiter is a fixed-window attempt counter per key (sign-in throttling).
// Sign-in is limited per client address and per (address, email) pair,
// never per email alone: a stranger who guesses wrong passwords for
// someone's email from their own address locks only themselves out, and
// the owner signs in from theirs.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*window
	now    func() time.Time
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, hits: map[string]*window{}, now: time.Now}
}

// allow counts one attempt for key and reports whether it is within the
// limit; when not, it also returns how long until the window resets.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) > 10000 {
		for k, v := range l.hits {
			if now.Sub(v.start) > l.window {
				delete(l.hits, k)
			}
		}
	}
	w := l.hits[key]
	if w == nil || now.Sub(w.start) > l.window {
		w = &window{start: now}
		l.hits[key] = w
	}
	w.n++
	if w.n > l.max {
		return false, w.start.Add(l.window).Sub(now)
	}
	return true, 0
}

// reset forgets key (a successful sign-in clears its pair's failures).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// runToken is a Bearer credential the server mints for the page's own run:
// it pays through the same hosted signer as a personal key, as the signed-in
// session, and dies with the run or the session.
type runToken struct {
	userID    int64
	sessionID string
	runID     string
}

// authenticate is the hosted signer's Authenticator: a personal key, a run
// token whose session is still live, or the page's session cookie with a
// CSRF header.
func (s *Server) authenticate(r *http.Request) (signerproxy.Principal, error) {
	authz := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(authz, "Bearer "); ok {
		tok = strings.TrimSpace(tok)
		if strings.HasPrefix(tok, runTokenPfx) {
			s.mu.Lock()
			rt, ok := s.runTokens[tok]
			s.mu.Unlock()
			if !ok {
				return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
			}
			u, err := s.store.SessionUser(r.Context(), rt.sessionID)
			if err != nil || u.ID != rt.userID {
				return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
			}
			return signerproxy.Principal{UserID: u.ID, Source: "run:" + rt.runID}, nil
		}
		k, u, err := s.store.KeyUser(r.Context(), tok)
		if err != nil {
			return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
		}
		return signerproxy.Principal{UserID: u.ID, Source: "key:" + strconv.FormatInt(k.ID, 10)}, nil
	}
	if authz != "" {
		return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
	}
	sid := cookieValue(r, sessionCookie)
	if sid == "" {
		return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
	}
	u, err := s.store.SessionUser(r.Context(), sid)
	if err != nil {
		return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || !hmac.Equal([]byte(got), []byte(s.csrfFor("s:"+sid))) {
		return signerproxy.Principal{}, signerproxy.ErrUnauthenticated
	}
	return signerproxy.Principal{UserID: u.ID, Source: "session"}, nil
}

// errSignIn is the one message for every failed sign-in (no account
// enumeration).
var errSignIn = errors.New("wrong email or password")

// errSignUp is the answer to a sign-up for an email that has an account,
// with another password: it does not say the account exists.
var errSignUp = errors.New("could not create an account with this email and password; if you have one, sign in")
