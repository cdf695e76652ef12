// Command text-to-image generates images with a built-in AI pipeline
// (Gateway.Run on "text-to-image/<model>") and writes them as files.
//
//	go run ./examples/text-to-image -prompt "a red fox" -o fox.png
//	go run ./examples/text-to-image -token "$LIVEPEER_TOKEN" -prompt "a red fox" -width 1024 -height 768 -o fox.png
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process network, whose toy model
// renders the prompt into a PNG of the requested size; the request is
// discovered, paid through the remote signer (height × width × images
// units at the orchestrator's price) and charged for real.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "text-to-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("text-to-image", "[orchestrator-address ...]",
		"Generates images from a prompt (Gateway.Run on \"text-to-image/<model>\") and\nwrites them to -o (name-1.png, name-2.png... with -count above 1).", stderr)
	model := fs.String("model", livepeertest.AIModelTextToImage, "text-to-image model id")
	prompt := fs.String("prompt", "a red fox", "what to draw")
	width := fs.Int("width", 1024, "image width in pixels")
	height := fs.Int("height", 1024, "image height in pixels")
	count := fs.Int("count", 1, "number of images")
	out := fs.String("o", "image.png", "output file")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	if *count < 1 {
		return errors.New("-count must be at least 1")
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	res, err := env.Gateway.Run(ctx, "text-to-image/"+*model, livepeer.TextToImage{
		Prompt: *prompt, Width: livepeer.Ptr(*width), Height: livepeer.Ptr(*height), NumImagesPerPrompt: livepeer.Ptr(*count),
	})
	if err != nil {
		return err
	}
	p := res.Pipeline()
	fee := "no fee quoted"
	if p.Fee != nil {
		fee = p.Fee.FloatString(0) + " wei"
	}
	fmt.Fprintf(stderr, "ran on %s: %d units, %s\n", res.Orchestrator, p.Units, fee)
	for i, im := range p.Images {
		b, err := im.Bytes(ctx)
		if err != nil {
			return fmt.Errorf("image %d: %w", i+1, err)
		}
		name := *out
		if len(p.Images) > 1 {
			ext := filepath.Ext(name)
			name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), i+1, ext)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%d bytes, seed %d)\n", name, len(b), im.Seed)
	}
	return nil
}
