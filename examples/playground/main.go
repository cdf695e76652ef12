// Command playground is the hosted-trial playground: sign in, get a personal
// API key, run StreamDiffusion on your camera through the Livepeer network,
// and copy the Go or Python program that makes the same calls.
//
// It serves the remote-signer routes at its root (so its URL is the signer
// URL in the snippets), authenticates them with the personal key, forwards
// them to the real signer and meters every payment's ticket expected value
// against the account's free trial budget.
//
//	go run ./examples/playground                         # SQLite + in-process network
//	go run ./examples/playground -addr 127.0.0.1:8080
//	go run ./examples/playground -signer https://signer.example -signer-header 'Authorization: Bearer X' \
//	    -db postgres://user:pass@host/db -secret "$PLAYGROUND_SECRET" -base-url https://play.example
//
// OIDC sign-in: -oidc-issuer, -oidc-client-id and PLAYGROUND_OIDC_CLIENT_SECRET.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "playground:", err)
		os.Exit(1)
	}
}

type headerFlags map[string]string

func (h headerFlags) String() string { return "" }
func (h headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return errors.New(`want "Name: value"`)
	}
	h[strings.TrimSpace(k)] = strings.TrimSpace(val)
	return nil
}

// parseETH reads a decimal ETH amount into wei.
func parseETH(s string) (*big.Int, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return nil, fmt.Errorf("invalid ETH amount %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)))
	return new(big.Int).Quo(r.Num(), r.Denom()), nil
}

func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("playground", flag.ContinueOnError)
	fs.SetOutput(errOut)
	cfg := appConfig{SignerHeaders: headerFlags{}}
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL (default http://<addr>); the signer URL in snippets")
	fs.StringVar(&cfg.DB, "db", "", "database: postgres://... or a SQLite path (default: playground.db in the user config dir)")
	fs.StringVar(&cfg.Token, "token", "", "gateway token of the upstream signer (base64 JSON: signer, signer_headers, discovery)")
	fs.StringVar(&cfg.Signer, "signer", "", "upstream remote signer URL (default: the in-process network's)")
	fs.Var(headerFlags(cfg.SignerHeaders), "signer-header", `header for the upstream signer, "Name: value" (repeatable; never shown to users)`)
	fs.StringVar(&cfg.Discovery, "discovery", "", "upstream discovery URL (default: the signer's /discover-orchestrators)")
	fs.StringVar(&cfg.Secret, "secret", os.Getenv("PLAYGROUND_SECRET"), "server secret (≥ 32 chars; default: generated beside the SQLite file)")
	budget := fs.String("trial-budget", "0.001", "free-plan budget of each new account, in ETH of ticket expected value")
	issuer := fs.String("oidc-issuer", "", "OpenID Connect issuer URL (enables provider sign-in)")
	clientID := fs.String("oidc-client-id", "", "OpenID Connect client id")
	verbose := fs.Bool("v", false, "log to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var err error
	if cfg.TrialBudgetWei, err = parseETH(*budget); err != nil {
		return err
	}
	if *issuer != "" {
		cfg.OIDC = &web.OIDCConfig{Issuer: *issuer, ClientID: *clientID, ClientSecret: os.Getenv("PLAYGROUND_OIDC_CLIENT_SECRET")}
	}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := startApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(out, "Livepeer playground on %s\n", a.URL)
	if a.Net != nil {
		fmt.Fprintln(out, "Network:  simulated: an in-process Livepeer network on this machine, where \"StreamDiffusion\" is an")
		fmt.Fprintln(out, "          ffmpeg colour filter keyed by the prompt's words, with the prompt drawn on the video")
		fmt.Fprintln(out, "          (-signer or -token uses a real network)")
	} else {
		fmt.Fprintln(out, "Network:  upstream signer (the Livepeer network)")
	}
	fmt.Fprintf(out, "Database: %s (%s)\n", a.DB, a.Store.Dialect())
	if a.FFmpegMissing {
		fmt.Fprintln(out, "WARNING:  ffmpeg is not in PATH: the simulated network's pipelines need it, so every run will fail.")
		fmt.Fprintln(out, "          Install it (sudo apt-get install ffmpeg, or brew install ffmpeg) and restart.")
	}
	fmt.Fprintf(out, "Open %s/models/daydreamlive/streamdiffusion\n", a.URL)
	<-ctx.Done()
	return nil
}
