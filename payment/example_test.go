package payment_test

import (
	"context"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func ExampleSession() {
	// An in-process orchestrator and the remote signer that pays it.
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
	if err != nil {
		panic(err)
	}
	defer net.Close()
	sc, err := signer.New(signer.Config{URLs: []string{net.SignerURL()}})
	if err != nil {
		panic(err)
	}
	dc, err := discovery.NewClient(discovery.ClientConfig{Signer: sc})
	if err != nil {
		panic(err)
	}
	defer dc.Close()
	ctx := context.Background()
	noop := discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}
	info, err := dc.GetOrchestrator(ctx, net.OrchestratorAddrs()[0], &noop)
	if err != nil {
		panic(err)
	}

	// A live-video-to-video payment session: the first payment goes with
	// the job start (Livepeer-Payment and Livepeer-Segment headers).
	sess, err := payment.NewSession(payment.Config{Signer: sc, Info: info, Capability: &noop,
		Refresh: func(ctx context.Context) (*discovery.Info, error) {
			return dc.GetOrchestrator(ctx, info.Addr, &noop)
		}})
	if err != nil {
		panic(err)
	}
	defer sess.Close()
	p, err := sess.Next(ctx)
	if err != nil {
		panic(err)
	}
	// What it commits: 60 s of 720p30 at 1 wei per pixel is under one
	// ticket's expected value, so one ticket.
	tk, err := payment.ParseTickets(p.Header().Get(payment.HeaderPayment))
	if err != nil {
		panic(err)
	}
	fmt.Println(tk.Count, "ticket, EV", tk.EV.FloatString(0), "wei, paid by the signer:", tk.Sender == net.Signer().Address())
	fmt.Println("signer committed", net.Signer().Spent(), "wei")
	// Output:
	// 1 ticket, EV 1000000000000 wei, paid by the signer: true
	// signer committed 1000000000000 wei
}
