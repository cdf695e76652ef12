package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// A signer behind an API-key exchange: the key from a flag or @file with
// --billing-url, never printed; without it the signer refuses (exit 5).
func TestSignerAPIKey(t *testing.T) {
	ctx := testCtx(t)
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1, signerAuth: true})
	require.NoError(t, err)
	defer d.Close()
	info := d.info("", nil)
	require.Equal(t, d.net.BillingURL(), info.BillingURL)
	require.Equal(t, livepeertest.DefaultAPIKey, info.APIKey)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(keyFile, []byte(livepeertest.DefaultAPIKey+"\n"), 0o600))
	tok := d.net.Token()

	r := runCLI(t, ctx, "", "run", "text-reversal", `{"text":"abc"}`, "--field", "reversed", "--token", tok)
	require.Equal(t, exitService, r.code, r.stderr)
	require.Contains(t, lastLine(r.stderr), "--signer-api-key and --billing-url")

	r = runCLI(t, ctx, "", "run", "text-reversal", `{"text":"abc"}`, "--field", "reversed", "--token", tok,
		"--signer-api-key", "@"+keyFile, "--billing-url", d.net.BillingURL(), "-v")
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "cba\n", r.stdout)
	require.NotContains(t, r.stderr, livepeertest.DefaultAPIKey, "the key is never printed, -v included")

	// The exchange names the signer; discovery is the signer's.
	r = runCLI(t, ctx, "", "run", tti, `{"prompt":"x","width":16,"height":16}`, "--json",
		"--signer-api-key", livepeertest.DefaultAPIKey, "--billing-url", d.net.BillingURL())
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, `"images"`)
	require.NotContains(t, r.stderr, "in-process", "--billing-url names a network")

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--signer-api-key", "pmth_wrong", "--billing-url", d.net.BillingURL()}, exitService, "refused the credentials"},
		{[]string{"--signer-api-key", livepeertest.DefaultAPIKey, "--token", tok}, exitUsage, "BillingURL"},
		{[]string{"--signer-api-key", "@" + filepath.Join(dir, "missing")}, exitUsage, "--signer-api-key: open"},
		{[]string{"--signer-api-key", " "}, exitUsage, "the key is empty"},
	} {
		r := runCLI(t, ctx, "", append([]string{"run", "text-reversal", `{}`}, c.args...)...)
		require.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, lastLine(r.stderr), c.want)
		require.NotContains(t, r.stderr, "pmth_wrong")
	}
}

// --pins: the first connection to each orchestrator pins its TLS key in
// the file; after the orchestrator's key changes, jobs, pipeline calls,
// runner calls and runner listings through it are refused with a line
// that says what to do, and deleting the pin accepts the new key.
func TestPins(t *testing.T) {
	ctx := testCtx(t)
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1})
	require.NoError(t, err)
	defer d.Close()
	o := d.net.Orchestrators()[0]
	pins := filepath.Join(t.TempDir(), "pins.json")
	tok := []string{"--token", d.net.Token(), "--pins", pins}
	calls := [][]string{
		{"run", "text-reversal", `{"text":"pin"}`, "--field", "reversed"},
		{"run", tti, `{"prompt":"x","width":16,"height":16}`, "--json"},
		{"run", "runner/toy/echo", `{}`, "--path", "echo"},
	}
	for _, args := range calls {
		r := runCLI(t, ctx, "", append(args, tok...)...)
		require.NoError(t, r.err, "%v: %s", args, r.stderr)
	}
	store, err := orchtls.OpenFile(pins)
	require.NoError(t, err)
	pin, ok := store.Load(o.Addr())
	require.True(t, ok, "pinned %s: %v", o.Addr(), store.Pins())
	require.Equal(t, orchtls.PinOf(o.Certificate()), pin)

	require.NoError(t, o.RotateCertificate())
	for _, args := range calls {
		r := runCLI(t, ctx, "", append(args, tok...)...)
		require.Equal(t, exitNoOrchestrator, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, lastLine(r.stderr), "orchestrator "+o.Addr()+" presented a TLS key that is not the one pinned")
	}
	r := runCLI(t, ctx, "", "runners", o.Addr(), "--pins", pins)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "0 runner(s)")
	require.True(t, strings.Contains(r.stderr, "skipped") && strings.Contains(r.stderr, "not the one pinned"), r.stderr)

	require.NoError(t, store.Delete(o.Addr()))
	r = runCLI(t, ctx, "", append(calls[0], tok...)...)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "nip\n", r.stdout)

	require.NoError(t, os.WriteFile(pins, []byte("not json"), 0o600))
	r = runCLI(t, ctx, "", append(calls[0], tok...)...)
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, lastLine(r.stderr), "--pins")
}
