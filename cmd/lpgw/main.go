// Command lpgw is the Livepeer gateway command line: a local Livepeer
// network for programs in any language, and the SDK's verbs from the shell.
//
//	go install github.com/livepeer/livepeer-go-gateway/cmd/lpgw@latest
//
//	lpgw devnet --json devnet.json        # a local network until Ctrl-C
//	lpgw orchestrators --token "$TOKEN"   # what the network offers
//	lpgw runners --token "$TOKEN"         # its live runners
//	lpgw run text-reversal '{"text":"hello"}' --token "$TOKEN"
//	lpgw stream token-stream '{"text":"a b c"}'
//	lpgw live live-video-to-video/noop --in testsrc --duration 5s --out out.ts
//
// It is named lpgw ("Livepeer gateway") because livepeer is go-livepeer's
// node binary (and livepeer_cli its operator console); both are often
// installed next to it.
//
// Every command but devnet takes the network from --token (or the
// LIVEPEER_TOKEN environment variable), --signer, --discovery or
// --orchestrator; with none of them it starts a fresh in-process network
// (the SDK's livepeertest, the same as lpgw devnet) and says so on stderr.
// Results go to stdout; progress and errors to stderr, errors as one line
// that says what to do. Exit codes are listed by lpgw help.
//
// The command is built on the SDK's public API only (packages livepeer,
// discovery, payment, media, trickle, runner, livepeertest).
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)))
}
