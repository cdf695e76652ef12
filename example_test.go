package livepeer_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func ExampleParseToken() {
	tok := livepeer.Token{Signer: "https://signer.example", Orchestrators: []string{"orch.example:8935"}}
	s := tok.Encode()
	back, err := livepeer.ParseToken(s)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Signer, back.Orchestrators)

	_, err = livepeer.ParseToken("eyJzaWduZXIiOjV9") // {"signer":5}
	var te *livepeer.TokenError
	fmt.Println(errors.Is(err, livepeer.ErrInvalidToken), errors.As(err, &te) && te.Field == "signer")
	// Output:
	// https://signer.example [orch.example:8935]
	// true true
}

func ExampleNewGateway_invalidConfig() {
	_, err := livepeer.NewGateway(livepeer.Config{Orchestrators: []string{"orch.example:8935", "http://orch.example"}})
	var ce *livepeer.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field, errors.Is(err, livepeer.ErrInvalidConfig))
	}
	// Output: Orchestrators[1] true
}

func ExampleGateway_Select() {
	// An in-process network: three orchestrators and a remote signer.
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{})
	if err != nil {
		panic(err)
	}
	defer net.Close()

	gw, err := livepeer.NewGateway(livepeer.Config{Token: net.Token()})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	ctx := context.Background()
	sel, err := gw.Select(ctx, "live-video-to-video/streamdiffusion")
	if err != nil {
		panic(err)
	}
	for {
		info, err := sel.Next(ctx)
		if err != nil {
			var noe *livepeer.NoOrchestratorError
			fmt.Println(errors.As(err, &noe), len(noe.Rejections))
			break
		}
		// A verb would start the job here; pretend every orchestrator refuses.
		price, _ := info.PriceFor(*info.Requested)
		fmt.Println("trying an orchestrator at", price)
		sel.Reject(info, errors.New("busy"))
	}
	// Output:
	// trying an orchestrator at 1/1 wei
	// trying an orchestrator at 1/1 wei
	// trying an orchestrator at 1/1 wei
	// true 3
}
