package signer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"

	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

const (
	hintToken = "the signer token could not be obtained from the token source"
	hintNoURL = "set a signer URL, or use a token source whose tokens carry one (SignerURL)"
)

// call sends one request to the signers with the current token. When the
// signer refuses the token (401) and the Client has a TokenSource, the
// token is invalidated and the call retried once with a fresh one; a
// second 401 is returned as it is.
func (c *Client) call(ctx context.Context, op, method string, query url.Values, body []byte) (*answer, error) {
	tok, err := c.token(ctx, op)
	if err != nil {
		return nil, err
	}
	a, err := c.callSigners(ctx, op, method, query, body, tok)
	if err != nil || c.tokens == nil || a.status != http.StatusUnauthorized {
		return a, err
	}
	if inv, ok := c.tokens.(Invalidator); ok {
		inv.Invalidate(tok)
	}
	fresh, err := c.token(ctx, op)
	if err != nil {
		return nil, err
	}
	if fresh.AccessToken == tok.AccessToken {
		return a, nil // nothing new to try
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "remote signer refused the token; retrying with a fresh one", slog.String("op", op))
	return c.callSigners(ctx, op, method, query, body, fresh)
}

// token asks the TokenSource (if any) for the token to send. A failure is an
// *Error whose Kind is ErrSignerUnavailable when the source says so (an
// *ExchangeError for an unreachable billing service), else ErrUnauthorized;
// ctx ending gives an *Error wrapping ctx's error and no Kind.
func (c *Client) token(ctx context.Context, op string) (Token, error) {
	if c.tokens == nil {
		return Token{}, nil
	}
	t, err := c.tokens.Token(ctx)
	if err == nil {
		switch t.AccessToken = strings.TrimSpace(t.AccessToken); {
		case t.AccessToken == "":
			err = errors.New("signer: the token source returned an empty access token")
		case !httpguts.ValidHeaderFieldValue(t.AccessToken):
			err = errors.New("signer: the token source returned an access token with characters a header cannot carry")
		}
	}
	if err == nil {
		return t, nil
	}
	e := &Error{Op: op, Err: err, Hint: hintToken}
	switch {
	case ctx.Err() != nil:
		e.Hint = ""
	case errors.Is(err, lperr.ErrSignerUnavailable):
		e.Kind = lperr.ErrSignerUnavailable
	default:
		e.Kind = lperr.ErrUnauthorized
	}
	return Token{}, e
}

// dynamicBase caches the parsed SignerURL of the last token.
type dynamicBase struct {
	mu   sync.Mutex
	raw  string
	base []*url.URL
	name []string
}

// targets returns the signer base URLs for a call: the configured ones, or
// the token's SignerURL when none is configured.
func (c *Client) targets(op string, tok Token) ([]*url.URL, []string, error) {
	if len(c.bases) > 0 {
		return c.bases, c.names, nil
	}
	raw := strings.TrimSpace(tok.SignerURL)
	if raw == "" {
		return nil, nil, &Error{Op: op, Err: ErrNoSigner, Hint: hintNoURL}
	}
	c.dyn.mu.Lock()
	defer c.dyn.mu.Unlock()
	if raw != c.dyn.raw {
		u, err := parseBase("Token.SignerURL", raw)
		if err != nil {
			return nil, nil, &Error{Op: op, Kind: lperr.ErrUnauthorized, Err: err, Hint: hintNoURL}
		}
		c.dyn.raw, c.dyn.base, c.dyn.name = raw, []*url.URL{u}, []string{httpx.Redacted(u)}
	}
	return c.dyn.base, c.dyn.name, nil
}
