// Package exampleutil is what the examples share: one flag vocabulary
// (-token, -signer, -discovery, orchestrator addresses as arguments,
// -timeout for the whole run), one way to get a Gateway from them (or,
// with none, from the SDK's in-process network), a usage text that says
// what the example does, and progress lines on stderr for waits longer
// than a second.
//
// Every example keeps main a one-liner around
// run(ctx, args, stdout, stderr) error so it can be tested; results go to
// stdout, progress and usage to stderr.
package exampleutil

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// Flags are the flags every example has.
type Flags struct {
	Token     string        // -token: a gateway token (base64 JSON: signer, discovery, orchestrators)
	Signer    string        // -signer: a remote signer URL
	Discovery string        // -discovery: a discovery endpoint URL
	Timeout   time.Duration // -timeout: bound on the whole run (0: none)
	fs        *flag.FlagSet
}

// NewFlagSet returns the example's flag set with the shared flags
// registered. Its usage text, printed to stderr for -h or a bad flag, is
// "Usage: name [flags] args" followed by about (what the example does),
// a line saying it runs on the in-process network by default, and the
// flags.
func NewFlagSet(name, args, about string, stderr io.Writer) (*flag.FlagSet, *Flags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &Flags{fs: fs}
	fs.StringVar(&f.Token, "token", "", "gateway token (base64 JSON with signer, discovery, orchestrators)")
	fs.StringVar(&f.Signer, "signer", "", "remote signer URL")
	fs.StringVar(&f.Discovery, "discovery", "", "discovery endpoint URL")
	fs.DurationVar(&f.Timeout, "timeout", 0, "give up after this long (0: no limit)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s [flags] %s\n\n%s\n\n", name, args, strings.TrimSpace(about))
		fmt.Fprintf(w, "With no -token, -signer, -discovery or orchestrator address it runs against\n"+
			"the SDK's in-process Livepeer network (livepeertest).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, f
}

// ErrHelp is returned by Parse for -h: the usage was printed, run should
// return nil.
var ErrHelp = flag.ErrHelp

// Parse parses args. For -h it returns ErrHelp (the usage was printed).
func (f *Flags) Parse(args []string) error {
	return f.fs.Parse(args)
}

// Context returns ctx bounded by -timeout and cancelled by Ctrl-C.
func (f *Flags) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := f.Bound(ctx)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	return ctx, func() { stop(); cancel() }
}

// Bound returns ctx bounded by -timeout only (for examples that give
// Ctrl-C a meaning of their own).
func (f *Flags) Bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, f.Timeout)
}

// InProcess describes the in-process network used when no source is given.
type InProcess struct {
	// Network configures it (livepeertest.NewNetwork).
	Network livepeertest.NetworkConfig
	// Setup, when set, runs on the started network (for example to enable
	// BYOC routes on its orchestrators); the cleanup it returns (may be nil)
	// runs before the network closes.
	Setup func(*livepeertest.Network) (cleanup func(), err error)
}

// Env is a Gateway and, when the example runs on the in-process network,
// that network.
type Env struct {
	Gateway *livepeer.Gateway
	Network *livepeertest.Network // nil against a real network
	closers []func()
}

// Close closes the Gateway and the in-process network.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// Gateway builds the Gateway: base (timeouts, price ceiling...) plus the
// flags and the remaining arguments as orchestrator addresses; with none
// of them, the in-process network described by in (progress says so).
func (f *Flags) Gateway(base livepeer.Config, in InProcess, progress io.Writer) (*Env, error) {
	env := &Env{}
	cfg := base
	cfg.Token, cfg.SignerURL, cfg.DiscoveryURL, cfg.Orchestrators = f.Token, f.Signer, f.Discovery, f.fs.Args()
	if f.Token == "" && f.Signer == "" && f.Discovery == "" && f.fs.NArg() == 0 {
		net, err := livepeertest.NewNetwork(in.Network)
		if err != nil {
			return nil, fmt.Errorf("start the in-process network: %w", err)
		}
		env.Network = net
		env.closers = append(env.closers, net.Close)
		if in.Setup != nil {
			cleanup, err := in.Setup(net)
			if cleanup != nil {
				env.closers = append(env.closers, cleanup)
			}
			if err != nil {
				env.Close()
				return nil, err
			}
		}
		fmt.Fprintln(progress, "using the in-process network (livepeertest)")
		cfg.Token = net.Token()
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		env.Close()
		return nil, err
	}
	env.Gateway = gw
	env.closers = append(env.closers, func() { _ = gw.Close() })
	return env, nil
}

// Progress prints status() to w every interval until the returned stop is
// called (stop waits for the last line). Use it around waits longer than a
// second so a run is never silent.
func Progress(w io.Writer, interval time.Duration, status func() string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintln(w, status())
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}

// IsHelp reports whether err is Parse's ErrHelp.
func IsHelp(err error) bool { return errors.Is(err, ErrHelp) }
