package web

import (
	"encoding/json"
	"errors"
	"html/template"
	"math/big"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

var templateFuncs = template.FuncMap{
	"eth": eth,
	"json": func(v any) (template.JS, error) {
		b, err := json.Marshal(v)
		return template.JS(b), err
	},
}

// page is the data every template gets.
type page struct {
	Title   string
	User    *store.User
	CSRF    string
	Next    string
	Error   string
	Notice  string
	OIDC    bool
	BaseURL string
	// Simulated and FFmpegMissing show the network banners.
	Simulated     bool
	FFmpegMissing bool
	// InlineError: the page shows Error itself (under its heading).
	InlineError bool
	// Email refills the sign-in and sign-up forms.
	Email string
	// TrialCap is a new account's budget and TrialTime the streaming time it
	// buys at the current rate ("" when unknown).
	TrialCap, TrialTime string
	Workflows           []*workflow.Workflow
	Errors              map[ErrorKind]ErrorState
	// Page-specific.
	Keys     []store.APIKey
	NewKey   string
	Budget   *budgetView
	Workflow *workflow.Workflow
	ErrorBox *ErrorState
	Snippets workflow.Snippets
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title string) *page {
	p := &page{
		Title: title, User: s.currentUser(r), CSRF: s.csrfToken(w, r), OIDC: s.oidc != nil,
		BaseURL: s.cfg.BaseURL, Workflows: s.cfg.Workflows.All(), Errors: ErrorCatalog(),
		Simulated: s.cfg.Simulated, FFmpegMissing: s.cfg.Simulated && s.cfg.FFmpegMissing,
		TrialCap: eth(s.cfg.TrialCapWei),
	}
	if rate := s.rate(0); rate != nil && rate.Sign() > 0 {
		secs, _ := new(big.Rat).Quo(big.NewRat(s.cfg.TrialCapWei, 1), rate).Float64()
		p.TrialTime = humanDuration(time.Duration(secs * float64(time.Second)))
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, p); err != nil {
		s.log.Error("web: render", "template", name, "err", err)
	}
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home.html", s.newPage(w, r, ""))
}

// safeNext keeps redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	return next
}

func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "Sign in")
	p.Next = safeNext(r.URL.Query().Get("next"))
	s.render(w, http.StatusOK, "signin.html", p)
}

func (s *Server) handleSignUpPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "Create an account")
	p.Next = safeNext(r.URL.Query().Get("next"))
	s.render(w, http.StatusOK, "signup.html", p)
}

// startSession signs u in: a fresh session id (no fixation), cookie set.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *store.User) error {
	if old := cookieValue(r, sessionCookie); old != "" {
		_ = s.store.DeleteSession(r.Context(), old)
	}
	sid, err := s.store.CreateSession(r.Context(), u.ID, sessionTTL)
	if err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, sid, sessionTTL)
	return nil
}

func (s *Server) handleSignUp(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		p := s.newPage(w, r, "Create an account")
		p.Next, p.Error, p.InlineError, p.Email = next, msg, true, email
		s.render(w, status, "signup.html", p)
	}
	if ok, _ := s.signInIP.allow("ip:" + clientIP(r)); !ok {
		fail(http.StatusTooManyRequests, "Too many attempts; wait a minute and try again.")
		return
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		fail(http.StatusBadRequest, "Enter a valid email address.")
		return
	}
	if len(pw) < 8 || len(pw) > 72 {
		fail(http.StatusBadRequest, "The password must be 8 to 72 characters long.")
		return
	}
	hash, err := s.hashPassword(pw)
	if err != nil {
		fail(http.StatusInternalServerError, "Could not create the account.")
		return
	}
	u, err := s.store.CreateUser(r.Context(), email, hash, "free", s.cfg.TrialCapWei)
	if errors.Is(err, store.ErrEmailTaken) {
		// Not "this email has an account": the owner's own password signs
		// them in as if the account were new; anything else gets the
		// sign-in failure, after the same bcrypt work.
		if ex, err := s.store.UserByEmail(r.Context(), strings.ToLower(email)); err == nil && s.checkPassword(ex.PasswordHash, pw) {
			if err := s.startSession(w, r, ex); err != nil {
				fail(http.StatusInternalServerError, "Could not sign in.")
				return
			}
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		fail(http.StatusUnauthorized, errSignUp.Error())
		return
	}
	if err != nil {
		s.log.Error("web: sign up", "err", err)
		fail(http.StatusInternalServerError, "Could not create the account.")
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		fail(http.StatusInternalServerError, "Could not sign in.")
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	pw := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		p := s.newPage(w, r, "Sign in")
		p.Next, p.Error, p.InlineError, p.Email = next, msg, true, email
		s.render(w, status, "signin.html", p)
	}
	ip := clientIP(r)
	pair := "pair:" + ip + "\x00" + email
	okIP, wait1 := s.signInIP.allow("ip:" + ip)
	okPair, wait2 := s.signInPair.allow(pair)
	if !okIP || !okPair {
		wait := max(wait1, wait2)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		fail(http.StatusTooManyRequests, "Too many sign-in attempts from here; wait a minute and try again.")
		return
	}
	hash := ""
	u, err := s.store.UserByEmail(r.Context(), email)
	if err == nil {
		hash = u.PasswordHash
	}
	if !s.checkPassword(hash, pw) { // one bcrypt comparison, known email or not
		fail(http.StatusUnauthorized, errSignIn.Error())
		return
	}
	s.signInPair.reset(pair)
	if err := s.startSession(w, r, u); err != nil {
		fail(http.StatusInternalServerError, "Could not sign in.")
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if sid := cookieValue(r, sessionCookie); sid != "" {
		_ = s.store.DeleteSession(r.Context(), sid)
		s.dropRunTokensOf(sid)
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// requireUser redirects signed-out visitors to sign in.
func (s *Server) requireUser(w http.ResponseWriter, r *http.Request) *store.User {
	u := s.currentUser(r)
	if u == nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
	}
	return u
}

func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, u *store.User, newKey string, status int) {
	p := s.newPage(w, r, "API keys")
	var err error
	if p.Keys, err = s.store.Keys(r.Context(), u.ID); err != nil {
		p.Error = "Could not list keys."
	}
	if p.Budget, err = s.budget(r, u.ID); err != nil {
		p.Error = "Could not read usage."
	}
	p.NewKey = newKey
	s.render(w, status, "keys.html", p)
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	if u := s.requireUser(w, r); u != nil {
		s.keysPage(w, r, u, "", http.StatusOK)
	}
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	u := s.requireUser(w, r)
	if u == nil {
		return
	}
	_, secret, err := s.store.CreateKey(r.Context(), u.ID, r.PostFormValue("name"))
	if err != nil {
		s.log.Error("web: create key", "err", err)
		http.Error(w, "could not create the key", http.StatusInternalServerError)
		return
	}
	s.keysPage(w, r, u, secret, http.StatusCreated)
}

func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	u := s.requireUser(w, r)
	if u == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if err := s.store.RevokeKey(r.Context(), u.ID, id); err != nil {
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, "/keys", http.StatusSeeOther)
}

func (s *Server) handleCard(w http.ResponseWriter, r *http.Request) {
	wf, ok := s.cfg.Workflows.Get(r.PathValue("owner") + "/" + r.PathValue("name"))
	if !ok {
		p := s.newPage(w, r, "Model not found")
		p.Error = "No model " + r.PathValue("owner") + "/" + r.PathValue("name") + " in this playground."
		s.render(w, http.StatusNotFound, "home.html", p)
		return
	}
	p := s.newPage(w, r, wf.Title)
	p.Workflow = wf
	m, _ := wf.Model("")
	sn, err := workflow.Render(wf, workflow.SnippetData{BaseURL: s.cfg.BaseURL, ModelID: m.ID, Params: m.Copy()})
	if err != nil {
		s.log.Error("web: snippet", "err", err)
	}
	p.Snippets = sn
	if p.User != nil {
		p.Budget, _ = s.budget(r, p.User.ID)
		if e, ok := s.cannotAffordStart(r.Context(), p.User.ID); ok {
			p.ErrorBox = &e
		}
	}
	s.render(w, http.StatusOK, "card.html", p)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErrorState answers {"error": ErrorState}.
func writeErrorState(w http.ResponseWriter, status int, e ErrorState) {
	writeJSON(w, status, map[string]any{"error": e})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	u := s.currentUser(r)
	if u == nil {
		writeErrorState(w, http.StatusUnauthorized, NewErrorState(SignedOut, ""))
		return
	}
	b, err := s.budget(r, u.ID)
	if err != nil {
		writeErrorState(w, http.StatusServiceUnavailable, NewErrorState(SignerDown, "Usage could not be read."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": u.Email, "plan": u.Plan, "budget": b,
		// the earlier flat fields, kept for scripts
		"capWei": b.CapWei, "spentWei": b.SpentWei, "reservedWei": b.ReservedWei, "cap": b.Cap, "spent": b.Used,
		"faceValue": b.FaceValue, "payments": b.Payments, "tickets": b.Tickets,
	})
}
