package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
	"github.com/livepeer/livepeer-go-gateway/media"
)

// pageSnippets fetches the card's snippets the way the page does: POST
// /api/snippets with the form's model and every parameter.
func (b *browser) pageSnippets(model string, params map[string]any) workflow.Snippets {
	b.t.Helper()
	body, err := json.Marshal(map[string]any{"workflow": "daydreamlive/streamdiffusion", "model": model, "params": params})
	require.NoError(b.t, err)
	st, out := b.api(http.MethodPost, "/api/snippets", "application/json", body, "")
	require.Equal(b.t, http.StatusOK, st, string(out))
	var sn workflow.Snippets
	require.NoError(b.t, json.Unmarshal(out, &sn))
	return sn
}

// withKey fills in a key as the page does (app.js renderSnippets).
func withKey(src, key string) string { return strings.ReplaceAll(src, workflow.KeyPlaceholder, key) }

var embeddedSnippets = regexp.MustCompile(`<script id="snippets" type="application/json">([^<]+)</script>`)

// TestSnippetRunsFromCommandLine renders the card's Go snippet as the page
// does (the form's parameters, the key created at /keys filled in), runs it
// with `go run` against the running server, plays the output file it saved
// with ffprobe (at least 1 s of H.264) and checks the run was billed to the
// same account.
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

	// The page's first snippet (embedded in the card) is the endpoint's for
	// the default form.
	wf := workflow.StreamDiffusion()
	m, _ := wf.Model("")
	defaults := map[string]any{}
	for _, p := range wf.Params {
		defaults[p.Name] = m.Defaults[p.Name]
	}
	sn := b.pageSnippets(m.ID, defaults)
	_, page := b.get("/models/daydreamlive/streamdiffusion")
	mm := embeddedSnippets.FindStringSubmatch(page)
	require.NotNil(t, mm)
	var embedded workflow.Snippets
	require.NoError(t, json.Unmarshal([]byte(mm[1]), &embedded))
	require.Equal(t, sn.Go, embedded.Go, "the card embeds the same snippet the form renders")

	// A form change is in the snippet (every parameter follows the form).
	form := map[string]any{}
	for k, v := range defaults {
		form[k] = v
	}
	form["prompt"] = "an ocean at night"
	form["guidance_scale"] = 1.7
	sn = b.pageSnippets(m.ID, form)
	require.Regexp(t, `Prompt: +streamdiffusion\.PromptText\("an ocean at night"\),`, sn.Go)
	require.Regexp(t, `GuidanceScale: +streamdiffusion\.Float\(1\.7\),`, sn.Go)
	src := withKey(sn.Go, key)
	require.NotContains(t, src, workflow.KeyPlaceholder)

	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	// What the snippet's "go mod init" + "go get" make, pointed at this checkout.
	gomod := "module livepeer-snippet\n\ngo 1.26.0\n\nrequire github.com/livepeer/livepeer-go-gateway v0.0.0\n\nreplace github.com/livepeer/livepeer-go-gateway => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "-mod=mod", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	t.Logf("snippet output:\n%s", out)
	require.NoError(t, err)
	require.Regexp(t, `wrote [1-9][0-9]* frames to output.ts`, string(out))

	info, err := media.FFprobe(ctx, filepath.Join(dir, "output.ts"), nil, media.FFprobeOptions{})
	require.NoError(t, err)
	v := info.Video()
	require.NotNil(t, v, "output.ts has a video stream")
	require.Equal(t, "h264", v.CodecName)
	require.GreaterOrEqual(t, info.Duration, 1.0, "at least 1 s of video")
	t.Logf("output.ts: %s %dx%d, %.1f s", v.CodecName, v.Width, v.Height, info.Duration)

	us, err := a.Store.Usage(context.Background(), u.ID)
	require.NoError(t, err)
	require.Positive(t, us.SpentWei, "the snippet's run was billed to the account")
	require.Positive(t, us.Payments)
	keys, err := a.Store.Keys(context.Background(), u.ID)
	require.NoError(t, err)
	require.False(t, keys[0].LastUsedAt.IsZero(), "the key from /keys paid")
	t.Logf("snippet run billed %d wei in %d payments (%d tickets)", us.SpentWei, us.Payments, us.Tickets)
}
