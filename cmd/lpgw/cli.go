package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// tokenEnv is the one environment variable the module reads (here only):
// the gateway token used when no network flag is given.
const tokenEnv = "LIVEPEER_TOKEN"

// cli is one invocation: its streams and its environment.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(c *cli, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"devnet", "[flags]", "run a local Livepeer network until Ctrl-C", (*cli).devnet},
		{"orchestrators", "[flags] [address ...]", "list orchestrators: capabilities, prices, latency", (*cli).orchestrators},
		{"runners", "[flags] [address ...]", "list live runners: app, mode, capacity, GPU, price", (*cli).runners},
		{"run", "CAPABILITY INPUT [flags]", "run one job and print its answer", (*cli).runJob},
		{"stream", "CAPABILITY INPUT [flags]", "run one job and print its events as they arrive", (*cli).streamJob},
		{"live", "CAPABILITY [flags]", "send live video through a capability and save the output", (*cli).live},
	}
}

// run is the whole program: main only turns its error into an exit code
// (exitCode). The first SIGINT or SIGTERM cancels ctx (devnet and live
// then stop cleanly and return nil); a second one kills the process.
// A failure is printed to stderr as one line saying what to do, and
// returned.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: os.LookupEnv}
	err := c.dispatch(ctx, args)
	if err != nil {
		_, line := describe(err)
		fmt.Fprintln(stderr, "lpgw: "+line)
	}
	return err
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		c.usage(c.stderr)
		return &usageError{msg: "no command given"}
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			return c.dispatch(ctx, []string{args[1], "--help"})
		}
		c.usage(c.stdout)
		return nil
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(c, ctx, args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", name)}
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "lpgw: the Livepeer gateway command line\n\nUsage:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  lpgw %-36s %s\n", cmd.name+" "+cmd.args, cmd.summary)
	}
	fmt.Fprintf(w, "  lpgw %-36s %s\n", "help COMMAND", "a command's flags and details")
	fmt.Fprint(w, `
The network: --token (or $`+tokenEnv+`), --signer, --discovery, --orchestrator,
--billing-url. With none of them a command starts a fresh in-process network
and says so. Credentials: --signer-header K:V, or --signer-api-key KEY|@FILE
with --billing-url (short-lived signer tokens). --pins FILE pins each
orchestrator's TLS key on first use and refuses a changed one.

Exit codes:
`)
	for _, e := range exitCodes {
		fmt.Fprintf(w, "  %3d  %s\n", e.code, e.meaning)
	}
}

// newFlagSet returns a flag set for a subcommand whose usage (printed for
// --help and after a bad flag) is the synopsis, about and the flags.
func (c *cli) newFlagSet(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("lpgw "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: lpgw %s %s\n\n%s\n\nFlags:\n", name, args, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with flags and positional arguments in any order
// ("run text-reversal '{...}' --token T"), as the standard flag package
// does not. "--" ends the flags. --help prints the usage to stdout and
// returns flag.ErrHelp.
func (c *cli) parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(c.stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	fs.SetOutput(io.Discard) // a bad flag becomes a usageError, printed once
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, &usageError{cmd: strings.TrimPrefix(fs.Name(), "lpgw "), msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// helpOr turns flag.ErrHelp (the usage was printed) into success.
func helpOr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
