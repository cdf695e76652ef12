package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

// TestSnippetRunsFromCommandLine renders the card's Go snippet with a key
// created at /keys, runs it with `go run` against the running server, and
// checks that the run was billed to the same account's budget.
func TestSnippetRunsFromCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go program")
	}
	a := newTestApp(t, 1_000_000_000_000_000)
	b := newBrowser(t, a.URL)
	b.signUp("cli@example.com", "correct horse battery")
	key := b.createKey("cli")
	u, err := a.Store.UserByEmail(context.Background(), "cli@example.com")
	require.NoError(t, err)

	// The same snippet the card shows (the card renders it with the key placeholder).
	wf := workflow.StreamDiffusion()
	m, _ := wf.Model("")
	src, err := workflow.RenderGo(wf, workflow.SnippetData{BaseURL: a.URL, Key: key, ModelID: m.ID, Params: m.Defaults})
	require.NoError(t, err)
	_, page := b.get("/models/daydreamlive/streamdiffusion")
	require.Contains(t, page, "YOUR_PLAYGROUND_KEY", "the card renders the same template with the key placeholder")

	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	gomod := "module snippet\n\ngo 1.26.0\n\nrequire github.com/livepeer/livepeer-go-gateway v0.0.0\n\nreplace github.com/livepeer/livepeer-go-gateway => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "-mod=mod", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	t.Logf("snippet output:\n%s", out)
	require.NoError(t, err)
	require.Contains(t, string(out), "done: 6 output segments")

	us, err := a.Store.Usage(context.Background(), u.ID)
	require.NoError(t, err)
	require.Positive(t, us.SpentWei, "the snippet's run was billed to the account")
	require.Positive(t, us.Payments)
	keys, err := a.Store.Keys(context.Background(), u.ID)
	require.NoError(t, err)
	require.False(t, keys[0].LastUsedAt.IsZero(), "the key from /keys paid")
	t.Logf("snippet run billed %d wei in %d payments (%d tickets) to %s", us.SpentWei, us.Payments, us.Tickets, strings.TrimSpace(u.Email))
}
