// Command byoc-stream runs one BYOC job that answers server-sent events and
// prints each event as it arrives, then exits 0.
//
//	go run ./examples/byoc-stream                      # in-process network
//	go run ./examples/byoc-stream -token "$LIVEPEER_TOKEN" -capability my-llm
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process network, whose orchestrators
// serve a token-streaming worker as the capability.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "byoc-stream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("byoc-stream", "[orchestrator-address ...]",
		"Runs one BYOC job that answers server-sent events (Gateway.Stream) and\nprints each event as it arrives.", stderr)
	capability := fs.String("capability", "token-stream", "BYOC capability (\"<name>\" or \"byoc/<name>\")")
	text := fs.String("text", "streams arrive one token at a time", "input text")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{
		Workers: map[string]http.Handler{*capability: &worker.Streamer{Count: 12, Interval: 100 * time.Millisecond}},
	}}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	st, err := env.Gateway.Stream(ctx, *capability, map[string]string{"text": *text})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stderr, "streaming from %s\n", st.Orchestrator())
	for ev, err := range st.Events(ctx) {
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "event=%q id=%q data=%s\n", ev.Event, ev.ID, ev.Data)
	}
	if b := st.Balance(); b != nil {
		fmt.Fprintln(stdout, "balance:", b, "wei")
	}
	return nil
}
