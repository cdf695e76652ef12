// Command byoc-stream runs one BYOC job that answers server-sent events and
// prints each event as it arrives, then exits 0.
//
//	go run ./examples/byoc-stream                      # in-process network
//	go run ./examples/byoc-stream -token $LIVEPEER_TOKEN -capability my-llm
//
// Without -token it starts an in-process network whose orchestrators serve
// a token-streaming worker as the "token-stream" capability.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func main() {
	token := flag.String("token", "", "gateway token of a real network (default: an in-process network)")
	capability := flag.String("capability", "token-stream", "BYOC capability to run")
	text := flag.String("text", "streams arrive one token at a time", "input text")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *token, *capability, *text); err != nil {
		fmt.Fprintln(os.Stderr, "byoc-stream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, token, capability, text string) error {
	if token == "" {
		caps := append(livepeertest.DefaultCapabilities(), livepeertest.CapabilitySpec{Name: "byoc/" + capability, PricePerUnit: 1000})
		n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Capabilities: caps})
		if err != nil {
			return err
		}
		defer n.Close()
		for _, o := range n.Orchestrators() {
			s := livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{})
			defer s.Close()
			if _, err := s.ServeWorker(capability, 0, &worker.Streamer{Count: 12, Interval: 100 * time.Millisecond}); err != nil {
				return err
			}
		}
		token = n.Token()
	}

	gw, err := livepeer.NewGateway(livepeer.Config{Token: token})
	if err != nil {
		return err
	}
	defer gw.Close()

	st, err := gw.Stream(ctx, capability, map[string]string{"text": text})
	if err != nil {
		return err
	}
	defer st.Close()
	for ev, err := range st.Events() {
		if err != nil {
			return err
		}
		fmt.Printf("event=%q id=%q data=%s\n", ev.Event, ev.ID, ev.Data)
	}
	if b := st.Balance(); b != nil {
		fmt.Println("balance:", b, "wei")
	}
	return nil
}
