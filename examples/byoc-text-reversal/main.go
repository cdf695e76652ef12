// Command byoc-text-reversal runs one BYOC job: it sends {"text": ...} to
// the "text-reversal" capability and prints the reversed text.
//
//	go run ./examples/byoc-text-reversal hello        # prints "olleh"
//	go run ./examples/byoc-text-reversal -token $LIVEPEER_TOKEN hello
//
// Without -token it starts an in-process network (orchestrators, remote
// signer, discovery, and the text-reversal worker of go-livepeer's BYOC
// guide), so the job is discovered, paid, signed and verified for real.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func main() {
	token := flag.String("token", "", "gateway token of a real network (default: an in-process network)")
	flag.Parse()
	text := strings.Join(flag.Args(), " ")
	if text == "" {
		text = "hello"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *token, text); err != nil {
		fmt.Fprintln(os.Stderr, "byoc-text-reversal:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, token, text string) error {
	if token == "" {
		n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{})
		if err != nil {
			return err
		}
		defer n.Close()
		for _, o := range n.Orchestrators() {
			s := livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{})
			defer s.Close()
			if _, err := s.ServeWorker("text-reversal", 0, worker.TextReversal()); err != nil {
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

	res, err := gw.Run(ctx, "text-reversal", map[string]string{"text": text})
	if err != nil {
		return err
	}
	out, err := livepeer.DecodeJSON[struct {
		Reversed string `json:"reversed"`
	}](res)
	if err != nil {
		return err
	}
	fmt.Println(out.Reversed)
	return nil
}
