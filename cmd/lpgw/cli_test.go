package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// With no network flag and no $LIVEPEER_TOKEN, run uses a fresh
// in-process network, says so, and prints the worker's answer.
func TestRunInProcess(t *testing.T) {
	ctx := testCtx(t)
	r := runCLI(t, ctx, "", "run", "text-reversal", `{"text":"hello"}`)
	require.NoError(t, r.err, r.stderr)
	require.JSONEq(t, `{"original":"hello","reversed":"olleh"}`, r.stdout)
	require.Contains(t, r.stderr, "using a fresh in-process network")

	// On a shared network: --field, input from a file and from stdin,
	// flags before the arguments too.
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1})
	require.NoError(t, err)
	defer d.Close()
	tok := d.net.Token()
	r = runCLI(t, ctx, "", "run", "byoc/text-reversal", `{"text":"añb"}`, "--field", "reversed", "--token", tok)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "bña\n", r.stdout)
	require.Empty(t, r.stderr)
	f := filepath.Join(t.TempDir(), "in.json")
	require.NoError(t, os.WriteFile(f, []byte(`{"text":"file"}`+"\n"), 0o644))
	r = runCLI(t, ctx, "", "run", "--token", tok, "--field", "reversed", "text-reversal", "@"+f)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "elif\n", r.stdout)
	r = runCLI(t, ctx, `{"text":"stdin"}`, "run", "text-reversal", "-", "--field", "reversed", "--token", tok)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "nidts\n", r.stdout)
	out := filepath.Join(t.TempDir(), "answer.json")
	r = runCLI(t, ctx, "", "run", "text-reversal", `{"text":"o"}`, "-o", out, "--token", tok, "-v")
	require.NoError(t, r.err, r.stderr)
	require.Empty(t, r.stdout)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.JSONEq(t, `{"original":"o","reversed":"o"}`, string(b))
	require.Contains(t, r.stderr, "balance")
	r = runCLI(t, ctx, "", "run", "text-reversal", `{"text":"o"}`, "--field", "nope", "--token", tok)
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, lastLine(r.stderr), "no such field (it has")
}

func TestStreamInProcess(t *testing.T) {
	ctx := testCtx(t)
	r := runCLI(t, ctx, "", "stream", "token-stream", `{"text":"one two three","count":4}`)
	require.NoError(t, r.err, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 4, r.stdout)
	var tok struct {
		Index int    `json:"index"`
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[3]), &tok))
	require.Equal(t, 3, tok.Index)
	require.Equal(t, "one", tok.Token) // the words, cycled

	r = runCLI(t, ctx, "", "stream", "token-stream", `{"count":2}`, "--json", "-v")
	require.NoError(t, r.err, r.stderr)
	var ev struct{ Event, ID, Data string }
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &ev))
	require.Equal(t, "0", ev.ID)
	require.Contains(t, ev.Data, `"index":0`)
	require.Contains(t, r.stderr, "2 events from")
}

// Bad input: each ends with one line on stderr saying what to do, and
// an exit code that says what kind of failure it was.
func TestBadInput(t *testing.T) {
	ctx := testCtx(t)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown capability", []string{"run", "no-such-thing", `{}`}, exitNoOrchestrator, "no orchestrator offers byoc/no-such-thing"},
		{"not a capability", []string{"live", "nonsense-pipeline/x", "--duration", "1s"}, exitUsage, "is not a capability"},
		{"malformed JSON", []string{"run", "text-reversal", `{"text":`}, exitUsage, "not valid JSON"},
		{"trailing JSON", []string{"run", "text-reversal", `{} {}`}, exitUsage, "not one JSON value"},
		{"empty input", []string{"run", "text-reversal", ` `}, exitUsage, "empty"},
		{"missing file", []string{"run", "text-reversal", "@/nonexistent/in.json"}, exitUsage, "input file /nonexistent/in.json"},
		{"unreachable signer", []string{"run", "text-reversal", `{}`, "--signer", "http://127.0.0.1:1"}, exitService, "the remote signer at http://127.0.0.1:1 is unreachable"},
		{"unreachable discovery", []string{"orchestrators", "--discovery", "http://127.0.0.1:1/d"}, exitService, "discovery endpoint is unreachable"},
		{"malformed token", []string{"run", "text-reversal", `{}`, "--token", "not-a-token"}, exitUsage, "gateway token is malformed"},
		{"worker fails", []string{"run", "always-fails", `{}`}, exitJobFailed, "the job failed on the worker of always-fails"},
		{"bad flag", []string{"run", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{"bad signer header", []string{"run", "text-reversal", `{}`, "--signer-header", "nocolon"}, exitUsage, "want K:V"},
		{"missing input", []string{"run", "text-reversal"}, exitUsage, "want CAPABILITY INPUT"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"no command", nil, exitUsage, "no command given"},
		{"bad param", []string{"live", "live-video-to-video/noop", "--param", "novalue"}, exitUsage, "want k=v"},
		{"bad params object", []string{"live", "live-video-to-video/noop", "--params", "[1]"}, exitUsage, "want one JSON object"},
		{"bad input source", []string{"live", "live-video-to-video/noop", "--in", "/nonexistent.mp4"}, exitUsage, "not a test pattern"},
		{"bad budget", []string{"devnet", "--budget", "lots"}, exitUsage, "--budget"},
		{"bad latency knob", []string{"devnet", "--latency", "7=1s", "--orchestrators", "2"}, exitUsage, "--latency"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, ctx, "", c.args...)
			require.Error(t, r.err)
			require.Equal(t, c.code, r.code, "%v\n%s", r.err, r.stderr)
			last := lastLine(r.stderr)
			require.True(t, strings.HasPrefix(last, "lpgw: "), r.stderr)
			require.Contains(t, last, c.want)
			// The error is one line: every line of stderr is a message of
			// its own ("lpgw: ..." or the usage of a command).
			require.Equal(t, 1, strings.Count(r.stderr, last), r.stderr)
		})
	}
}

func TestHelp(t *testing.T) {
	ctx := testCtx(t)
	r := runCLI(t, ctx, "", "help")
	require.NoError(t, r.err)
	for _, cmd := range commands() {
		require.Contains(t, r.stdout, "lpgw "+cmd.name)
	}
	require.Contains(t, r.stdout, "130  interrupted")
	r = runCLI(t, ctx, "", "devnet", "--help")
	require.NoError(t, r.err)
	require.Contains(t, r.stdout, "POST   /orchestrators/{i}/blackhole")
	require.Contains(t, r.stdout, "-port-base")
	r = runCLI(t, ctx, "", "help", "live")
	require.NoError(t, r.err)
	require.Contains(t, r.stdout, "Usage: lpgw live CAPABILITY")
}

// $LIVEPEER_TOKEN is used when no network flag is given, and ignored
// when one is.
func TestEnvironmentToken(t *testing.T) {
	ctx := testCtx(t)
	d := startTestDevnet(t, "--orchestrators", "1")
	t.Setenv(tokenEnv, d.info.Token)
	r := runCLI(t, ctx, "", "run", "text-reversal", `{"text":"env"}`, "--field", "reversed")
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "vne\n", r.stdout)
	require.NotContains(t, r.stderr, "in-process")

	r = runCLI(t, ctx, "", "run", "text-reversal", `{}`, "--signer", "http://127.0.0.1:1")
	require.Equal(t, exitService, r.code, "a flag wins over the environment: %s", r.stderr)
}

func TestParseFlagsInterspersed(t *testing.T) {
	c := &cli{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	fs := c.newFlagSet("x", "", "")
	tok := fs.String("token", "", "")
	v := fs.Bool("v", false, "")
	pos, err := c.parseFlags(fs, []string{"a", "--token", "T", "b", "-v", "--", "--c", "-d"})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "--c", "-d"}, pos)
	require.Equal(t, "T", *tok)
	require.True(t, *v)
	pos, err = c.parseFlags(c.newFlagSet("x", "", ""), []string{"-", "x"})
	require.NoError(t, err)
	require.Equal(t, []string{"-", "x"}, pos, `"-" (stdin) is an argument`)
}
