// Package signerproxy is the playground's hosted remote signer: it serves
// go-livepeer's remote-signer routes (POST /sign-orchestrator-info, POST
// /generate-live-payment, GET /discover-orchestrators) at the root of the
// playground, authenticates each call as one account, forwards it to the
// upstream signer with the upstream's own credentials, and meters what every
// payment commits against the account's trial budget.
//
// Metering is atomic: before forwarding a payment request the proxy reserves
// an upper bound of its cost in one database transaction, then settles to
// the expected value of the tickets really returned (or releases on any
// failure, and on 482 "no tickets"). The signed payment state is wrapped and
// MACed with the account id, so one account's state cannot be replayed under
// another's key. Client headers never reach the upstream (Signer-* included),
// and upstream credentials and headers never reach the client.
package signerproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Paths served, as go-livepeer's signer serves them.
const (
	PathSignOrchestratorInfo = "/sign-orchestrator-info"
	PathGenerateLivePayment  = "/generate-live-payment"
	PathDiscoverOrchestrator = "/discover-orchestrators"
)

// AuthIDHeader is go-livepeer's header naming the payer account in the
// signed state (server/remote_signer.go remoteSignerAuthIDHeader).
const AuthIDHeader = "Signer-Auth-Id"

// maxBody bounds request and upstream answer bodies.
const maxBody = 1 << 20

// Principal is the account a call is made for.
type Principal struct {
	UserID int64
	Source string // "key:<id>", "run:<id>" (a page run) or "session"
}

// ErrUnauthenticated is what an Authenticator returns for a call without
// valid credentials.
var ErrUnauthenticated = errors.New("missing, invalid or revoked API key")

// Authenticator resolves a request's credentials (Authorization: Bearer
// <personal key>, or the page's session) to an account.
type Authenticator func(r *http.Request) (Principal, error)

// Config configures New.
type Config struct {
	// Upstream is the real signer's base URL (required).
	Upstream string
	// UpstreamHeaders are sent to the upstream only (its credentials).
	UpstreamHeaders map[string]string
	// DiscoveryUpstream is the discovery URL served at
	// /discover-orchestrators; default Upstream + "/discover-orchestrators".
	DiscoveryUpstream string
	// Store meters the accounts (required).
	Store *store.Store
	// Secret keys the state MAC (required, ≥ 32 bytes).
	Secret []byte
	// Auth authenticates calls (required).
	Auth Authenticator
	// HTTPClient talks to the upstream; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Slack is added to the lv2v billing window when bounding a payment
	// (clock skew, latency); default 10 s.
	Slack time.Duration
	// PrepaidMargin: when the budget cannot buy a session's next payment
	// but the orchestrator still holds at least this much of the session's
	// prepaid time, the proxy answers 482 "no tickets" (skip this cycle) so
	// the session runs on what it already paid for; below it, 483. Default
	// Slack.
	PrepaidMargin time.Duration
	// KeysURL is where a user gets a key (named in 401 messages).
	KeysURL string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger; nil discards.
	Logger *slog.Logger
}

// Proxy is the hosted signer. Safe for concurrent use.
type Proxy struct {
	cfg    Config
	secret []byte
	hc     *http.Client
	log    *slog.Logger
	now    func() time.Time
	first  firstPayments
	rates  rates
	skips  atomic.Int64
}

// New checks cfg and returns a Proxy; it fails naming the missing field.
func New(cfg Config) (*Proxy, error) {
	switch {
	case cfg.Upstream == "":
		return nil, errors.New("signerproxy: Upstream is required")
	case cfg.Store == nil:
		return nil, errors.New("signerproxy: Store is required")
	case len(cfg.Secret) < 32:
		return nil, errors.New("signerproxy: Secret must be at least 32 bytes")
	case cfg.Auth == nil:
		return nil, errors.New("signerproxy: Auth is required")
	}
	cfg.Upstream = strings.TrimRight(cfg.Upstream, "/")
	if cfg.DiscoveryUpstream == "" {
		cfg.DiscoveryUpstream = cfg.Upstream + PathDiscoverOrchestrator
	}
	if cfg.Slack <= 0 {
		cfg.Slack = 10 * time.Second
	}
	if cfg.PrepaidMargin <= 0 {
		cfg.PrepaidMargin = cfg.Slack
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Proxy{cfg: cfg, secret: cfg.Secret, hc: cfg.HTTPClient, log: cfg.Logger, now: cfg.Now}
	if p.hc == nil {
		p.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Register mounts the signer routes on mux.
func (p *Proxy) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+PathSignOrchestratorInfo, p.handleSignOrchInfo)
	mux.HandleFunc("POST "+PathGenerateLivePayment, p.handlePayment)
	mux.HandleFunc("GET "+PathDiscoverOrchestrator, p.handleDiscover)
}

// WriteError writes go-livepeer's JSON error envelope {"error":{"message"}}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg}})
}

func (p *Proxy) authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	pr, err := p.cfg.Auth(r)
	if err != nil {
		msg := "unauthorized: " + ErrUnauthenticated.Error()
		if p.cfg.KeysURL != "" {
			msg += "; create one at " + p.cfg.KeysURL
		}
		WriteError(w, http.StatusUnauthorized, msg)
		return Principal{}, false
	}
	return pr, true
}

// forward sends body to url with only the upstream's headers (and the
// account's auth id), never the client's.
func (p *Proxy) forward(ctx context.Context, method, url string, body []byte, pr Principal) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range p.cfg.UpstreamHeaders {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(AuthIDHeader, "playground-user-"+strconv.FormatInt(pr.UserID, 10))
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}

// relay copies an upstream answer to the client, keeping only the headers a
// signer client needs.
func relay(w http.ResponseWriter, resp *http.Response, body []byte) {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if u := resp.Header.Get(signer.HeaderOrchestratorURL); u != "" && resp.StatusCode == signer.StatusRefreshSession {
		w.Header().Set(signer.HeaderOrchestratorURL, u)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		WriteError(w, http.StatusBadRequest, "request body: "+err.Error())
		return nil, false
	}
	return b, true
}

func (p *Proxy) upstreamDown(w http.ResponseWriter, err error) {
	p.log.Warn("signerproxy: upstream signer unreachable", "err", err)
	WriteError(w, http.StatusServiceUnavailable, "signer unavailable: the upstream signer could not be reached; retry shortly")
}

func (p *Proxy) handleSignOrchInfo(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.authenticate(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	resp, b, err := p.forward(r.Context(), http.MethodPost, p.cfg.Upstream+PathSignOrchestratorInfo, body, pr)
	if err != nil {
		p.upstreamDown(w, err)
		return
	}
	relay(w, resp, b)
}

func (p *Proxy) handleDiscover(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.authenticate(w, r)
	if !ok {
		return
	}
	u := p.cfg.DiscoveryUpstream
	if q := r.URL.RawQuery; q != "" {
		if strings.Contains(u, "?") {
			u += "&" + q
		} else {
			u += "?" + q
		}
	}
	resp, b, err := p.forward(r.Context(), http.MethodGet, u, nil, pr)
	if err != nil {
		p.upstreamDown(w, err)
		return
	}
	relay(w, resp, b)
}

// handlePayment is POST /generate-live-payment: unwrap and check the state,
// reserve the cost bound, forward, settle to the real EV (or release), wrap
// the new state.
func (p *Proxy) handlePayment(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.authenticate(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		WriteError(w, http.StatusBadRequest, "request body must be a JSON object")
		return
	}
	inner, decodedState, err := p.unwrapState(pr.UserID, fields["state"])
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errForeignState) {
			status = http.StatusForbidden
		}
		WriteError(w, status, err.Error())
		return
	}
	if inner != nil {
		fields["state"] = inner
	} else {
		delete(fields, "state")
	}
	var mreq meter.Request
	if err := json.Unmarshal(body, &mreq); err != nil || len(mreq.Orchestrator) == 0 {
		WriteError(w, http.StatusBadRequest, "missing orchestrator")
		return
	}
	bound, err := meter.UpperBound(&mreq, decodedState, p.now(), p.cfg.Slack)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !bound.Wei.IsInt64() {
		WriteError(w, signer.StatusInsufficientBalance, "insufficient balance: one payment at this orchestrator's ticket value exceeds any trial budget")
		return
	}
	if decodedState == nil {
		p.first.observe(bound.Wei, p.now())
	}
	ctx := context.WithoutCancel(r.Context()) // accounting must finish even if the client leaves
	res, err := p.cfg.Store.Reserve(ctx, pr.UserID, bound.Wei.Int64())
	if errors.Is(err, store.ErrOverCap) {
		// The budget cannot buy this payment. A session whose orchestrator
		// still holds prepaid time runs on it: 482 skips the cycle and
		// commits nothing (the client keeps its state, so the next call
		// bills the longer interval). Only once that time is nearly used
		// up does the session get 483.
		if left, ok := prepaidLeft(decodedState, p.now()); ok && left >= p.cfg.PrepaidMargin {
			p.skips.Add(1)
			p.log.Info("signerproxy: budget exhausted; the session runs on prepaid time", "user", pr.UserID, "prepaid_left", left.Round(time.Second))
			WriteError(w, signer.StatusNoTickets, fmt.Sprintf("no tickets: the session's prepaid credit covers about %s more; the trial budget cannot buy more", left.Round(time.Second)))
			return
		}
		p.writeOutOfCredit(ctx, w, pr.UserID, bound.Wei)
		return
	}
	if err != nil {
		p.log.Error("signerproxy: reserve", "err", err)
		WriteError(w, http.StatusServiceUnavailable, "billing unavailable: the trial budget could not be checked; retry shortly")
		return
	}
	settled := false
	defer func() {
		if !settled {
			if err := p.cfg.Store.Release(ctx, res); err != nil {
				p.log.Error("signerproxy: release", "err", err)
			}
		}
	}()

	fwd, err := json.Marshal(fields)
	if err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	resp, b, err := p.forward(r.Context(), http.MethodPost, p.cfg.Upstream+PathGenerateLivePayment, fwd, pr)
	if err != nil {
		p.upstreamDown(w, err)
		return
	}
	if resp.StatusCode != http.StatusOK {
		// 480/481/482/483/4xx/5xx: nothing was committed. Pass the answer on
		// (482 keeps the client's current state valid: it is unchanged).
		relay(w, resp, b)
		return
	}
	var out map[string]json.RawMessage
	var payment string
	if err := json.Unmarshal(b, &out); err != nil || out == nil {
		p.log.Error("signerproxy: undecodable upstream answer", "err", err)
		WriteError(w, http.StatusBadGateway, "payment failed: the upstream signer sent an undecodable answer")
		return
	}
	if raw, ok := out["payment"]; ok {
		if err := json.Unmarshal(raw, &payment); err != nil {
			WriteError(w, http.StatusBadGateway, "payment failed: the upstream signer sent an undecodable payment")
			return
		}
	}
	cost, err := meter.PaymentCost(payment)
	if err != nil {
		p.log.Error("signerproxy: undecodable payment", "err", err)
		WriteError(w, http.StatusBadGateway, "payment failed: the upstream signer sent an undecodable payment")
		return
	}
	evWei := cost.EVWei()
	if !evWei.IsInt64() {
		WriteError(w, signer.StatusInsufficientBalance, "insufficient balance: payment exceeds any trial budget")
		return
	}
	settled = true // Settle releases on its own failure paths
	err = p.cfg.Store.Settle(ctx, res, store.Charge{
		Source: pr.Source, StateID: bound.StateID, Tickets: cost.Tickets,
		EVWei: evWei.Int64(), Face: cost.Face, WinProb: cost.WinProb,
	})
	if errors.Is(err, store.ErrOverCap) {
		// The signer committed more than the bound and the budget cannot
		// take it: the tickets are dropped here and never reach an
		// orchestrator, so nothing is spent.
		p.writeOutOfCredit(ctx, w, pr.UserID, evWei)
		return
	}
	if err != nil {
		p.log.Error("signerproxy: settle", "err", err)
		WriteError(w, http.StatusServiceUnavailable, "billing unavailable: the payment could not be recorded; retry shortly")
		return
	}
	if st, ok := out["state"]; ok && len(st) > 0 && string(st) != "null" {
		p.rates.observeState(pr.UserID, st)
		wrapped, err := p.wrapState(pr.UserID, st)
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		out["state"] = wrapped
	}
	enc, err := json.Marshal(out)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	p.log.Debug("signerproxy: payment", "user", pr.UserID, "tickets", cost.Tickets, "ev_wei", evWei, "reserved_wei", bound.Wei)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(enc)
}

// PrepaidSkips counts the payments answered 482 because the budget was
// spent but the session still had prepaid time.
func (p *Proxy) PrepaidSkips() int64 { return p.skips.Load() }

// writeOutOfCredit answers 483 with the account's figures.
func (p *Proxy) writeOutOfCredit(ctx context.Context, w http.ResponseWriter, userID int64, need *big.Int) {
	msg := "insufficient balance: trial budget exhausted"
	if u, err := p.cfg.Store.UserByID(ctx, userID); err == nil {
		msg = fmt.Sprintf("insufficient balance: trial budget exhausted (cap %s, spent %s, in flight %s, this payment needs up to %s)",
			meter.FormatETH(big.NewInt(u.CapWei)), meter.FormatETH(big.NewInt(u.SpentWei)), meter.FormatETH(big.NewInt(u.ReservedWei)), meter.FormatETH(need))
	}
	WriteError(w, signer.StatusInsufficientBalance, msg)
}
