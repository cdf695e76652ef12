package signer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// An API key exchanged for short-lived signer tokens, against the
// in-process network's exchange. A Client with Tokens sends the token as
// "Authorization: Bearer" and, without URLs, calls the token's signer.
func ExampleNewExchange() {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		SignerAuth: &livepeertest.SignerAuthConfig{TokenLifetime: 5 * time.Minute}})
	if err != nil {
		panic(err)
	}
	defer n.Close()

	tokens, err := signer.NewExchange(signer.ExchangeConfig{BillingURL: n.BillingURL(), APIKey: livepeertest.DefaultAPIKey})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, err := tokens.Token(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("signer from the exchange:", tok.SignerURL == n.SignerURL())
	fmt.Println("expires in about 5 minutes:", time.Until(tok.Expiry).Round(time.Minute))

	c, err := signer.New(signer.Config{Tokens: tokens})
	if err != nil {
		panic(err)
	}
	sig, err := c.SignOrchestratorInfo(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("signed by:", sig.Address == n.Signer().Address())
	// Output:
	// signer from the exchange: true
	// expires in about 5 minutes: 5m0s
	// signed by: true
}
