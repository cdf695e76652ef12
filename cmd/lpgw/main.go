// Command lpgw is the Livepeer gateway command line: a local Livepeer
// network for programs in any language, and the SDK's verbs from the shell.
//
//	go install github.com/livepeer/livepeer-go-gateway/cmd/lpgw@latest
//
//	lpgw devnet --json devnet.json        # a local network until Ctrl-C
//	lpgw orchestrators --token "$TOKEN"   # what the network offers
//	lpgw runners --token "$TOKEN"         # its live runners
//	lpgw run text-reversal '{"text":"hello"}' --token "$TOKEN"
//	lpgw run text-to-image/stabilityai/sdxl-turbo '{"prompt":"a red fox"}' -o fox.png
//	lpgw run runner/toy/echo '{"hello":"runner"}' --path echo/hi
//	lpgw stream token-stream '{"text":"a b c"}'
//	lpgw stream llm/meta-llama/llama-3.1-8B-Instruct '{"messages":[{"role":"user","content":"hi"}]}'
//	lpgw live live-video-to-video/noop --in testsrc --duration 5s --out out.ts
//
// It is named lpgw ("Livepeer gateway") because livepeer is go-livepeer's
// node binary (and livepeer_cli its operator console); both are often
// installed next to it.
//
// Every command but devnet takes the network from --token (or the
// LIVEPEER_TOKEN environment variable), --signer, --discovery,
// --orchestrator or --billing-url; with none of them it starts a fresh
// in-process network (the SDK's livepeertest, the same as lpgw devnet) and
// says so on stderr. Credentials: --signer-header, or --signer-api-key
// (KEY or @FILE) with --billing-url; --pins FILE pins orchestrator keys.
// Results go to stdout; progress and errors to stderr, errors as one line
// that says what to do. Exit codes are listed by lpgw help.
//
// The command is built on the SDK's public API only (packages livepeer,
// aipipeline, discovery, orchtls, payment, media, runner,
// livepeertest).
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)))
}
