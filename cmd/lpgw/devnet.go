package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

const devnetAbout = `Runs the SDK's in-process Livepeer network as a standalone server until
Ctrl-C (SIGINT) or SIGTERM, for programs in any language: orchestrators
(gRPC GetOrchestrator over TLS and HTTP on one port each), a remote signer
with a budget, a discovery endpoint, live-video-to-video pipelines ("noop"
is a passthrough; streamdiffusion and streamdiffusion-sdxl an ffmpeg filter
you can see), BYOC workers (text-reversal, token-stream, always-fails), live
runners (toy/runner-app, toy/echo, live-video-to-video/scope; bootstrap
secret --runner-secret) and the built-in AI pipelines with toy models.

It prints the gateway token, the signer and discovery URLs and the
orchestrator addresses, and writes them as JSON with --json (removed again
on exit). Everything listens on 127.0.0.1; --port-base fixes the ports:
control PORT, signer PORT+1, discovery PORT+2, orchestrator i PORT+3+i.`

// devnetInfo is what the devnet prints and writes with --json.
type devnetInfo struct {
	Token         string       `json:"token"`
	Signer        string       `json:"signer"`
	Discovery     string       `json:"discovery"`
	Control       string       `json:"control"`
	BillingURL    string       `json:"billing_url,omitempty"`    // with --signer-auth: the API-key exchange
	APIKey        string       `json:"signer_api_key,omitempty"` // with --signer-auth: the key it accepts
	Orchestrators []devnetOrch `json:"orchestrators"`
	Budget        string       `json:"budget_wei"`
	RunnerSecret  string       `json:"runner_secret"`
	Capabilities  []string     `json:"capabilities"`
	RunnerApps    []string     `json:"runner_apps"`
	PID           int          `json:"pid"`
	Faults        *faultState  `json:"faults,omitempty"`
}

type devnetOrch struct {
	Address    string `json:"address"` // host:port, the GetOrchestrator (gRPC) target
	URL        string `json:"url"`     // https://host:port, the service URI (HTTP routes, trickle)
	EthAddress string `json:"eth_address"`
}

func (c *cli) devnet(ctx context.Context, args []string) error {
	fs := c.newFlagSet("devnet", "[flags]", devnetAbout+"\n\n"+controlHelp)
	orchs := fs.Int("orchestrators", defaultOrchestrators, "how many orchestrators")
	budget := fs.String("budget", defaultBudget().String(), `the signer's budget in wei of ticket EV (e.g. 1e15), or "unlimited"`)
	jsonPath := fs.String("json", "", "write the token, URLs and addresses to this `file` as JSON once ready")
	portBase := fs.Int("port-base", 0, "fixed ports from `PORT` (control, signer, discovery, orchestrators); 0: random ports")
	var blackhole listFlag
	fs.Var(&blackhole, "blackhole", "black-hole these orchestrators from the start: `indices`, e.g. 1,2")
	var latency listFlag
	fs.Var(&latency, "latency", "slow orchestrator i down: `i=DURATION`, e.g. 0=500ms (repeatable)")
	signerLatency := fs.Duration("signer-latency", 0, "delay every signer request by this much")
	signerDownAfter := fs.Duration("signer-down-after", 0, "take the signer down (503) after this long; 0: never")
	secret := fs.String("runner-secret", defaultRunnerSecret, "bootstrap secret for live runners registering with the orchestrators")
	signerAuth := fs.Bool("signer-auth", false, "the signer wants short-lived tokens from an API-key exchange (the billing URL and key are printed): try --signer-api-key and --billing-url")
	verbose := fs.Bool("v", false, "log every component's debug messages to stderr")
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	bad := func(format string, a ...any) error { return &usageError{cmd: "devnet", msg: fmt.Sprintf(format, a...)} }
	if len(pos) > 0 {
		return bad("devnet takes no arguments, got %q", pos)
	}
	if *orchs < 1 || *orchs > 100 {
		return bad("--orchestrators %d: want 1..100", *orchs)
	}
	b, err := parseBudget(*budget)
	if err != nil {
		return bad("--budget: %v", err)
	}
	if *portBase < 0 || (*portBase > 0 && *portBase+3+*orchs-1 > 65535) {
		return bad("--port-base %d: the devnet needs ports %d..%d", *portBase, *portBase, *portBase+3+*orchs-1)
	}
	var holes []int
	for _, s := range blackhole {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= *orchs {
			return bad("--blackhole %q: want orchestrator indices 0..%d", s, *orchs-1)
		}
		holes = append(holes, i)
	}
	slow := map[int]time.Duration{}
	for _, s := range latency {
		is, ds, ok := strings.Cut(s, "=")
		i, ierr := strconv.Atoi(is)
		d, derr := time.ParseDuration(ds)
		if !ok || ierr != nil || derr != nil || i < 0 || i >= *orchs || d < 0 {
			return bad("--latency %q: want i=DURATION with i in 0..%d, e.g. 0=500ms", s, *orchs-1)
		}
		slow[i] = d
	}
	if *signerLatency < 0 || *signerDownAfter < 0 {
		return bad("--signer-latency and --signer-down-after must not be negative")
	}

	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	started := time.Now()
	controlPort, ports := 0, livepeertest.Ports{}
	if *portBase > 0 {
		controlPort = *portBase
		ports = livepeertest.Ports{Signer: *portBase + 1, Discovery: *portBase + 2}
		for i := range *orchs {
			ports.Orchestrators = append(ports.Orchestrators, *portBase+3+i)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(controlPort)))
	if err != nil {
		return fmt.Errorf("control endpoint: %w", err)
	}
	dev, err := startDevnet(ctx, devnetOptions{orchestrators: *orchs, budget: b, ports: ports, runnerSecret: *secret, signerAuth: *signerAuth, logger: log})
	if err != nil {
		_ = ln.Close()
		return finish(ctx, fmt.Errorf("start the devnet: %w", err))
	}
	defer dev.Close()
	f := newFaults(dev.net, b)
	defer f.stop()
	for _, i := range holes {
		_ = f.setBlackhole(i, true)
	}
	for i, d := range slow {
		_ = f.setLatency(i, d)
	}
	if *signerLatency > 0 {
		f.setSignerLatency(*signerLatency)
	}
	if *signerDownAfter > 0 {
		f.signerDownAfter(*signerDownAfter)
	}
	info := dev.info("http://"+ln.Addr().String(), b)
	ctl := startControl(ln, f, func() any {
		st := f.state()
		in := info
		in.Budget, in.Faults = st.Signer.Budget, &st
		return in
	})
	defer ctl.Close()
	if *jsonPath != "" {
		if err := writeJSONFile(*jsonPath, info); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
		defer os.Remove(*jsonPath)
	}
	printDevnet(c, info, time.Since(started), *signerDownAfter)
	<-ctx.Done()
	fmt.Fprintln(c.stderr, "lpgw devnet: stopping…")
	return nil
}

// info describes the running devnet.
func (d *devnet) info(control string, budget *big.Int) devnetInfo {
	in := devnetInfo{
		Token: d.net.Token(), Signer: d.net.SignerURL(), Discovery: d.net.DiscoveryURL(), Control: control,
		Budget: budgetString(budget), RunnerSecret: d.runnerSecret, Capabilities: d.capabilities,
		RunnerApps: d.runnerApps, PID: os.Getpid(), BillingURL: d.net.BillingURL(),
	}
	if in.BillingURL != "" {
		in.APIKey = livepeertest.DefaultAPIKey
	}
	for _, o := range d.net.Orchestrators() {
		in.Orchestrators = append(in.Orchestrators, devnetOrch{Address: o.Addr(), URL: o.URL(), EthAddress: o.Address().Hex()})
	}
	return in
}

// printDevnet prints what a person needs to use the devnet.
func printDevnet(c *cli, in devnetInfo, took, downAfter time.Duration) {
	w := c.stdout
	budget := "unlimited"
	if in.Budget != "unlimited" {
		b, _ := new(big.Rat).SetString(in.Budget)
		budget = formatWei(b)
	}
	fmt.Fprintf(w, "lpgw devnet ready in %s: %d orchestrators, signer budget %s\n\n", took.Round(time.Millisecond), len(in.Orchestrators), budget)
	fmt.Fprintf(w, "token      %s\nsigner     %s\ndiscovery  %s\ncontrol    %s\n", in.Token, in.Signer, in.Discovery, in.Control)
	if in.BillingURL != "" {
		fmt.Fprintf(w, "billing    %s (API key %s; the signer wants its tokens)\n", in.BillingURL, in.APIKey)
	}
	fmt.Fprintf(w, "orchestrators\n")
	for i, o := range in.Orchestrators {
		fmt.Fprintf(w, "  %d  %-21s %s  %s\n", i, o.Address, o.URL, o.EthAddress)
	}
	fmt.Fprintf(w, "capabilities\n")
	for _, line := range groupCapabilities(in.Capabilities) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	fmt.Fprintf(w, "live runners  %s (register yours with secret %q)\n", strings.Join(in.RunnerApps, " "), in.RunnerSecret)
	if downAfter > 0 {
		fmt.Fprintf(w, "the signer goes down in %s (--signer-down-after)\n", downAfter)
	}
	fmt.Fprintf(w, "\nTry, in another terminal:\n")
	auth := ""
	if in.BillingURL != "" {
		auth = fmt.Sprintf(" --signer-api-key %s --billing-url %s", in.APIKey, in.BillingURL)
	}
	fmt.Fprintf(w, "  lpgw run text-reversal '{\"text\":\"hello\"}' --token %s%s\n", in.Token, auth)
	if m, ok := firstModel(in.Capabilities, "text-to-image"); ok {
		fmt.Fprintf(w, "  lpgw run text-to-image/%s '{\"prompt\":\"a red fox\",\"width\":512,\"height\":512}' -o fox.png --token %s%s\n", m, in.Token, auth)
	}
	if m, ok := firstModel(in.Capabilities, "llm"); ok {
		fmt.Fprintf(w, "  lpgw stream llm/%s '{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":64}' --token %s%s\n", m, in.Token, auth)
	}
	fmt.Fprintf(w, "  lpgw run runner/toy/echo '{\"hello\":\"runner\"}' --path echo/hi --token %s%s\n", in.Token, auth)
	fmt.Fprintf(w, "  lpgw live live-video-to-video/streamdiffusion --param prompt='a sunset' --out - --token %s%s | ffplay -\n", in.Token, auth)
	fmt.Fprintf(w, "  curl -X POST '%s/orchestrators/0/latency?d=500ms'   (lpgw devnet --help lists the faults)\n", in.Control)
	fmt.Fprintf(w, "Ctrl-C stops the devnet.\n")
}

// firstModel returns the model of the first capability of pipeline.
func firstModel(names []string, pipeline string) (string, bool) {
	for _, n := range names {
		if p, m, ok := strings.Cut(n, "/"); ok && p == pipeline {
			return m, true
		}
	}
	return "", false
}

// groupCapabilities renders capability names one pipeline per line:
// "live-video-to-video: noop streamdiffusion".
func groupCapabilities(names []string) []string {
	var order []string
	models := map[string][]string{}
	for _, n := range names {
		p, m, _ := strings.Cut(n, "/")
		if _, ok := models[p]; !ok {
			order = append(order, p)
		}
		models[p] = append(models[p], m)
	}
	out := make([]string, 0, len(order))
	for _, p := range order {
		out = append(out, p+": "+strings.Join(models[p], " "))
	}
	return out
}

// writeJSONFile writes v to path atomically (a temporary file renamed into
// place), so a program polling for the file never reads half of it.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lpgw-devnet-*.json")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(append(b, '\n'))
	if werr == nil {
		werr = tmp.Chmod(0o644) // readable like any file: nothing in it is a secret beyond the loopback devnet
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
	return werr
}
