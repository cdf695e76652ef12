package signer

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// Non-standard statuses of go-livepeer's remote signer (server/remote_signer.go).
const (
	StatusRefreshSession      = 480 // fetch fresh orchestrator info and retry
	StatusPriceExceeded       = 481 // orchestrator price above a ceiling
	StatusNoTickets           = 482 // balance covers this cycle
	StatusInsufficientBalance = 483 // payer out of credit (hosted signers)
)

// HeaderOrchestratorURL is set on 480 answers: the orchestrator to refresh.
const HeaderOrchestratorURL = lphttp.HeaderOrchestratorURL

// answer is a non-5xx HTTP answer from one signer.
type answer struct {
	status int
	header http.Header
	body   []byte
	signer string
	url    string
}

// callSigners sends one request to the signers in failover order, starting
// with the one that answered last, with tok as its bearer token (none when
// empty). A connection error or 5xx (after retries) moves on to the next
// signer; any other answer is returned as it is. All failing gives an
// *Error with Kind ErrSignerUnavailable.
func (c *Client) callSigners(ctx context.Context, op, method string, query url.Values, body []byte, tok Token) (*answer, error) {
	bases, names, err := c.targets(op, tok)
	if err != nil {
		return nil, err
	}
	n := len(bases)
	start := int(c.preferred.Load())
	if start >= n {
		start = 0
	}
	var lastErr error
	var lastName string
	for k := 0; k < n; k++ {
		i := (start + k) % n
		lastName = names[i]
		a, err := c.callOne(ctx, op, method, bases[i], query, body, tok)
		if err == nil {
			a.signer = names[i]
			c.preferred.Store(int32(i))
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, &Error{Op: op, Signer: lastName, Tried: k + 1, Err: ctx.Err()}
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "remote signer failed", slog.String("op", op),
			slog.String("signer", names[i]), slog.String("error", err.Error()))
		lastErr = err
	}
	return nil, &Error{Op: op, Signer: lastName, Tried: n, Kind: lperr.ErrSignerUnavailable, Err: lastErr, Hint: hintUnavailable}
}

// callOne does one request (with retries) to one signer. It returns an error
// only for a failure that warrants failover: a transport error or a 5xx.
func (c *Client) callOne(ctx context.Context, op, method string, base *url.URL, query url.Values, body []byte, tok Token) (*answer, error) {
	u := endpoint(base, op)
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		// Keep "/" readable in caps=pipeline/model, as go-livepeer's gateway does.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "%2F", "/")
	}
	var rawBody any
	if body != nil {
		rawBody = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), rawBody)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.headers {
		req.Header[k] = append([]string(nil), vs...)
	}
	if tok.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 500 {
		resp.Body = io.NopCloser(bytes.NewReader(data))
		apiErr := lperr.ReadAPIError(op, resp, lperr.ErrSignerUnavailable)
		apiErr.Signer = httpx.Redacted(base)
		return nil, apiErr
	}
	if len(data) > maxResponseBody {
		return nil, &DecodeError{Op: op, Reason: "response body larger than 1 MiB", Body: truncBody(data)}
	}
	ru := *u
	ru.RawQuery, ru.User = "", nil
	return &answer{status: resp.StatusCode, header: resp.Header, body: data, url: ru.String()}, nil
}

// classify turns a non-2xx answer into an *Error. paymentOp selects
// ErrPaymentFailed as the kind of otherwise unclassified 4xx answers.
func classify(op string, a *answer, paymentOp bool) error {
	resp := &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(bytes.NewReader(a.body))}
	apiErr := lperr.ReadAPIError(op, resp, nil)
	apiErr.URL = a.url
	apiErr.Signer = a.signer
	e := &Error{Op: op, Signer: a.signer, Tried: 1, Err: apiErr}
	switch st := a.status; {
	case st == StatusRefreshSession:
		e.Kind, e.Hint = lperr.ErrRefreshSession, hintRefresh
		e.OrchestratorURL = a.header.Get(HeaderOrchestratorURL)
	case st == StatusPriceExceeded:
		e.Kind, e.Hint = lperr.ErrPriceExceeded, hintPrice
	case st == StatusNoTickets:
		e.Kind, e.Hint = lperr.ErrNoTicketsNeeded, hintNoTickets
	case st == StatusInsufficientBalance || st == http.StatusPaymentRequired:
		e.Kind, e.Hint = lperr.ErrInsufficientBalance, hintBalance
	case st == http.StatusBadRequest && outOfFunds(apiErr.Message):
		e.Kind, e.Hint = lperr.ErrInsufficientBalance, hintBalance
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		e.Kind, e.Hint = lperr.ErrUnauthorized, hintUnauthorized
	case paymentOp:
		e.Kind = lperr.ErrPaymentFailed
	}
	apiErr.Kind = e.Kind
	return e
}

// outOfFunds recognises go-livepeer's sender-validation messages (pm/sender.go)
// that mean the payer's deposit or reserve cannot cover tickets.
func outOfFunds(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"no sender deposit", "no sender reserve", "insufficient", "deposit and reserve is set to unlock soon"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
