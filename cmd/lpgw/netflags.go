package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// netFlags are the flags that say where the network is, shared by every
// command but devnet.
type netFlags struct {
	token, signer, discovery string
	signerHeaders            headerFlag
	apiKey, billingURL       string
	pins                     string
	orchestrators            listFlag
	timeout, orchTimeout     time.Duration
	verbose                  bool
}

func (f *netFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "gateway token (base64 JSON: signer, discovery, orchestrators); default $"+tokenEnv)
	fs.StringVar(&f.signer, "signer", "", "remote signer URL")
	fs.Var(&f.signerHeaders, "signer-header", "`K:V` header sent to the signer (repeatable), e.g. 'Authorization: Bearer KEY'")
	fs.StringVar(&f.apiKey, "signer-api-key", "", "API `KEY` (or @FILE holding it) exchanged at --billing-url for short-lived signer tokens")
	fs.StringVar(&f.billingURL, "billing-url", "", "the billing service `URL` that exchanges --signer-api-key (its answer names the signer when nothing else does)")
	fs.StringVar(&f.pins, "pins", "", "pin each orchestrator's TLS key on first use in this JSON `FILE` (created if missing); a changed key is refused")
	fs.StringVar(&f.discovery, "discovery", "", "discovery endpoint URL")
	fs.Var(&f.orchestrators, "orchestrator", "orchestrator `address` host:port (repeatable, or comma-separated)")
	fs.DurationVar(&f.timeout, "timeout", 0, "give up after this long (0: no limit)")
	fs.DurationVar(&f.orchTimeout, "orchestrator-timeout", 0, "bound on one orchestrator's GetOrchestrator answer (default 5s)")
	fs.BoolVar(&f.verbose, "v", false, "verbose: the SDK's debug logs and details on stderr")
}

// netEnv is an open Gateway: on the network the flags name, or on a
// fresh in-process devnet.
type netEnv struct {
	gw     *livepeer.Gateway
	dev    *devnet // nil on a network given by flags or the environment
	spend  *spendMeter
	source string // where the network came from, for messages
	closed bool
}

// open builds the Gateway: from the flags (and extra orchestrator
// addresses), else from $LIVEPEER_TOKEN, else on a fresh in-process
// network, which it announces on stderr. The environment token is used
// only when no network flag is given, so a flag never mixes with it.
func (c *cli) open(ctx context.Context, f *netFlags, addrs []string) (*netEnv, error) {
	log := slog.New(slog.DiscardHandler)
	if f.verbose {
		log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	spend := newSpendMeter(http.DefaultTransport.(*http.Transport).Clone())
	cfg := livepeer.Config{
		Token: f.token, SignerURL: f.signer, DiscoveryURL: f.discovery,
		Orchestrators: append(append([]string(nil), f.orchestrators...), addrs...),
		HTTPClient:    &http.Client{Transport: spend}, Logger: log, OrchestratorTimeout: f.orchTimeout,
	}
	if len(f.signerHeaders) > 0 {
		cfg.SignerHeaders = map[string]string(f.signerHeaders)
	}
	if err := f.credentials(&cfg); err != nil {
		return nil, err
	}
	e := &netEnv{spend: spend, source: "flags"}
	if cfg.Token == "" && cfg.SignerURL == "" && cfg.DiscoveryURL == "" && len(cfg.Orchestrators) == 0 &&
		cfg.SignerAPIKey == "" && cfg.BillingURL == "" {
		if tok, ok := c.lookupEnv(tokenEnv); ok && strings.TrimSpace(tok) != "" {
			cfg.Token, e.source = tok, "$"+tokenEnv
		} else {
			fmt.Fprintln(c.stderr, "lpgw: no --token, --signer, --discovery, --orchestrator, --billing-url or $"+tokenEnv+": using a fresh in-process network (lpgw devnet runs one you can share)")
			dev, err := startDevnet(ctx, devnetOptions{orchestrators: defaultOrchestrators, budget: defaultBudget()})
			if err != nil {
				return nil, fmt.Errorf("start the in-process network: %w", err)
			}
			e.dev, e.source, cfg.Token = dev, "in-process network", dev.net.Token()
		}
	}
	gw, err := livepeer.NewGateway(cfg)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.gw = gw
	return e, nil
}

// credentials sets the signer API key and billing URL and the
// orchestrator pins from the flags. The key is the flag's value, or the
// contents of the file "@path" names (keeping it out of ps and shell
// history); it is never printed.
func (f *netFlags) credentials(cfg *livepeer.Config) error {
	cfg.BillingURL = strings.TrimSpace(f.billingURL)
	if f.apiKey != "" {
		key := f.apiKey
		if path, ok := strings.CutPrefix(key, "@"); ok {
			b, err := readFileBounded(path, 64<<10)
			if err != nil {
				return &inputError{what: "--signer-api-key", err: err}
			}
			key = string(b)
		}
		if key = strings.TrimSpace(key); key == "" {
			return &usageError{msg: "--signer-api-key: the key is empty"}
		}
		cfg.SignerAPIKey = key
	}
	if f.pins != "" {
		store, err := orchtls.OpenFile(f.pins)
		if err != nil {
			return &inputError{what: "--pins", err: err}
		}
		cfg.OrchestratorPins = store
	}
	return nil
}

// Close closes the Gateway, then the in-process network.
func (e *netEnv) Close() {
	if e.closed {
		return
	}
	e.closed = true
	if e.gw != nil {
		_ = e.gw.Close()
	}
	if e.dev != nil {
		e.dev.Close()
	}
	e.spend.CloseIdleConnections()
}

// bound applies --timeout to ctx.
func (f *netFlags) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.timeout > 0 {
		return context.WithTimeout(ctx, f.timeout)
	}
	return context.WithCancel(ctx)
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// headerFlag is a repeatable K:V flag.
type headerFlag map[string]string

func (h *headerFlag) String() string {
	var out []string
	for k := range *h {
		out = append(out, k+":…")
	}
	return strings.Join(out, ",")
}

func (h *headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	k, val = strings.TrimSpace(k), strings.TrimSpace(val)
	if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
		return fmt.Errorf("want K:V (a header name, a colon, its value), got %q", v)
	}
	if *h == nil {
		*h = headerFlag{}
	}
	(*h)[k] = val
	return nil
}
