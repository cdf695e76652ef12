// Command byoc-text-reversal runs one BYOC job: it sends {"text": ...} to
// the "text-reversal" capability and prints the reversed text.
//
//	go run ./examples/byoc-text-reversal -text hello        # prints "olleh"
//	go run ./examples/byoc-text-reversal -token "$LIVEPEER_TOKEN" -text hello
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process network (orchestrators, remote
// signer, discovery, and the text-reversal worker of go-livepeer's BYOC
// guide), so the job is discovered, paid, signed and verified for real.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "byoc-text-reversal:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("byoc-text-reversal", "[orchestrator-address ...]",
		"Runs one BYOC job (Gateway.Run): sends {\"text\": ...} to the capability and\nprints the reversed text.", stderr)
	capability := fs.String("capability", "text-reversal", "BYOC capability (\"<name>\" or \"byoc/<name>\")")
	text := fs.String("text", "hello", "text to reverse")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{
		Workers: map[string]http.Handler{"text-reversal": worker.TextReversal()},
	}}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	res, err := env.Gateway.Run(ctx, *capability, map[string]string{"text": *text})
	if err != nil {
		return err
	}
	out, err := livepeer.DecodeJSON[struct {
		Reversed string `json:"reversed"`
	}](res)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ran on %s\n", res.Orchestrator)
	fmt.Fprintln(stdout, out.Reversed)
	return nil
}
