// Command llm streams an answer from a built-in LLM pipeline
// (Gateway.Stream on "llm/<model>"): it prints the tokens as they arrive,
// then a line with the token usage and what was paid.
//
//	go run ./examples/llm -prompt hi
//	go run ./examples/llm -token "$LIVEPEER_TOKEN" -model meta-llama/Meta-Llama-3.1-8B-Instruct -prompt "Why is the sky blue?"
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process network, whose toy model
// streams a canned answer honouring -max-tokens; the request is paid
// through the remote signer (max_tokens units at the orchestrator's price).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "llm:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("llm", "[orchestrator-address ...]",
		"Streams an LLM answer (Gateway.Stream on \"llm/<model>\"): the tokens as they\narrive, then the token usage and what was paid.", stderr)
	model := fs.String("model", livepeertest.AIModelLLM, "LLM model id")
	prompt := fs.String("prompt", "hi", "the user's message")
	system := fs.String("system", "", "a system message (none when empty)")
	maxTokens := fs.Int("max-tokens", 256, "most tokens to generate (what is paid for)")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	var msgs []livepeer.LLMMessage
	if *system != "" {
		msgs = append(msgs, livepeer.LLMMessage{Role: "system", Content: *system})
	}
	msgs = append(msgs, livepeer.LLMMessage{Role: "user", Content: *prompt})
	st, err := env.Gateway.Stream(ctx, "llm/"+*model, livepeer.LLMRequest{Messages: msgs, MaxTokens: livepeer.Ptr(*maxTokens)})
	if err != nil {
		return err
	}
	defer st.Close()
	for chunk, err := range st.LLMChunks(ctx) {
		if err != nil {
			fmt.Fprintln(stdout)
			return err
		}
		fmt.Fprint(stdout, chunk.Text())
	}
	fmt.Fprintln(stdout)
	p := st.Pipeline()
	u, _ := p.Usage()
	fee := "no fee quoted"
	if p.Fee != nil {
		fee = p.Fee.FloatString(0) + " wei"
	}
	fmt.Fprintf(stdout, "usage: %d prompt + %d completion = %d tokens; finish_reason %s; paid %d units (%s) on %s\n",
		u.PromptTokens, u.CompletionTokens, u.TotalTokens, p.FinishReason(), p.Units, fee, st.Orchestrator())
	return nil
}
