package discovery_test

import (
	"context"
	"fmt"
	"math/big"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func ExampleClient_Query() {
	// Three in-process orchestrators serving streamdiffusion at 3, 1 and 2
	// wei per pixel, and the remote signer that signs GetOrchestrator.
	var nets []*livepeertest.Network
	var addrs []string
	for _, price := range []int64{3, 1, 2} {
		n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
			Capabilities: []livepeertest.CapabilitySpec{{Name: "live-video-to-video/streamdiffusion", PricePerUnit: price}}})
		if err != nil {
			panic(err)
		}
		defer n.Close()
		nets = append(nets, n)
		addrs = append(addrs, n.OrchestratorAddrs()...)
	}
	// One payer: the first network's signer (orchestrators verify any payer's signature).
	sc, err := signer.New(signer.Config{URLs: []string{nets[0].SignerURL()}})
	if err != nil {
		panic(err)
	}
	c, err := discovery.NewClient(discovery.ClientConfig{Signer: sc})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	want, err := discovery.ParseCapability("live-video-to-video/streamdiffusion")
	if err != nil {
		panic(err)
	}
	infos, rejections, err := c.Query(context.Background(), append(addrs, "127.0.0.1:1"), &want)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(infos), "answered,", len(rejections), "unreachable")

	// Cheapest first; 5/2 wei per pixel is the most we pay.
	ranked, tooExpensive := discovery.Rank(infos, &want, big.NewRat(5, 2))
	for _, in := range ranked {
		p, _ := in.PriceFor(want)
		fmt.Println(p, "on-chain:", in.Onchain(), "ticket EV:", in.TicketParams.EV().FloatString(0), "wei")
	}
	fmt.Println(len(tooExpensive), "over the ceiling")
	// Output:
	// 3 answered, 1 unreachable
	// 1/1 wei on-chain: true ticket EV: 1000000000000 wei
	// 2/1 wei on-chain: true ticket EV: 1000000000000 wei
	// 1 over the ceiling
}
