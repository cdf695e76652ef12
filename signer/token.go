package signer

import (
	"context"
	"time"
)

// Token is a bearer credential for the remote signer: the Client sends
// "Authorization: Bearer <AccessToken>" with every signer call.
type Token struct {
	// AccessToken is the bearer value (a JWT for pymthouse-style signers).
	AccessToken string
	// Expiry is when the signer stops accepting the token; zero means the
	// source does not know (the token is then replaced only after the
	// signer refuses it with a 401).
	Expiry time.Time
	// SignerURL is the signer base URL the token was issued for (the
	// exchange's "signerUrl"), or "". The Client uses it only when it was
	// built without URLs.
	SignerURL string
}

// TokenSource supplies the signer token. The Client calls Token before
// every signer call (so a source should answer from a cache while its
// token is fresh) and honours ctx: a source must return when ctx ends.
// Implementations must be safe for concurrent use.
//
// The interface is golang.org/x/oauth2's TokenSource with a context, kept
// local so that the SDK's module graph stays free of oauth2. An
// oauth2.TokenSource adapts in three lines with TokenSourceFunc:
//
//	signer.TokenSourceFunc(func(ctx context.Context) (signer.Token, error) {
//		t, err := ts.Token()
//		if err != nil {
//			return signer.Token{}, err
//		}
//		return signer.Token{AccessToken: t.AccessToken, Expiry: t.Expiry}, nil
//	})
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// Invalidator is implemented by a TokenSource that can drop a token the
// signer refused. When a signer answers 401, the Client calls
// Invalidate with the token it sent, asks the source for a token again,
// and retries the call once if it got a different one. Invalidate must
// not block; a source that has already replaced rejected ignores it.
type Invalidator interface {
	Invalidate(rejected Token)
}

// TokenSourceFunc adapts a function to a TokenSource.
type TokenSourceFunc func(ctx context.Context) (Token, error)

// Token calls f(ctx).
func (f TokenSourceFunc) Token(ctx context.Context) (Token, error) { return f(ctx) }
