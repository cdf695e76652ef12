package discovery_test

import (
	"context"
	"fmt"
	"math/big"

	"github.com/livepeer/livepeer-go-gateway"
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

func ExamplePool() {
	// Two in-process orchestrators at 2 and 1 wei per pixel, and the
	// remote signer that signs GetOrchestrator.
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 2})
	if err != nil {
		panic(err)
	}
	defer n.Close()
	if err := n.Orchestrators()[0].SetPrice("live-video-to-video/noop", 2, 1); err != nil {
		panic(err)
	}
	sc, err := signer.New(signer.Config{URLs: []string{n.SignerURL()}})
	if err != nil {
		panic(err)
	}
	c, err := discovery.NewClient(discovery.ClientConfig{Signer: sc})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	p, err := discovery.NewPool(discovery.PoolConfig{Source: discovery.List(n.OrchestratorAddrs()), Client: c})
	if err != nil {
		panic(err)
	}
	defer p.Close() // before the Client

	want, _ := discovery.ParseCapability("live-video-to-video/noop")
	ctx := context.Background()
	// The first call asks both; later ones answer from the pool.
	ranked, _, err := p.Orchestrators(ctx, &want)
	if err != nil {
		panic(err)
	}
	for _, in := range ranked {
		fmt.Println(in.Price)
	}
	sel, err := p.Select(ctx, &want)
	if err != nil {
		panic(err)
	}
	first, err := sel.Next(ctx)
	if err != nil {
		panic(err)
	}
	// The job failed there (a 5xx): the pool ranks it last for a while.
	sel.Reject(first, fmt.Errorf("start: %w", livepeer.ErrOrchestratorUnavailable))
	for _, e := range p.Entries(&want) {
		fmt.Println(e.Info.Price, "job failures:", e.JobFailures)
	}
	// Output:
	// 1/1 wei
	// 2/1 wei
	// 2/1 wei job failures: 0
	// 1/1 wei job failures: 1
}
