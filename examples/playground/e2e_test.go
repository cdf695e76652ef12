package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds the browser; outside CI a missing browser skips the
// browser test, in CI (CI=true) it fails it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PLAYGROUND_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found at /usr/bin/chromium: CI must install it (scripts/install-deps.sh)")
	}
	t.Skip("chromium not installed (apt-get install chromium); skipping the browser end-to-end test outside CI")
	return ""
}

// artifactsDir is where screenshots go (gitignored /artifacts/ at the repo root).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PLAYGROUND_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "playground-e2e")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// requireFFmpeg skips (fails in CI) without ffmpeg: the in-process
// pipelines transform video with it.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg is required (the in-process pipelines transform video with it)")
		}
		t.Skip("ffmpeg not installed")
	}
}

func newTestApp(t *testing.T, budgetWei int64) *app {
	t.Helper()
	requireFFmpeg(t)
	a, err := startApp(context.Background(), appConfig{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "pg.db"), TrialBudgetWei: big.NewInt(budgetWei),
		BcryptCost: 4, SignerHeaders: map[string]string{},
	})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return a
}

// TestBrowserEndToEnd drives headless Chromium with its fake camera through
// the whole flow: visit → "Sign in to run" → sign up → create key → open
// the card → run → output frames arrive and show the transform → change the
// prompt → exhaust the budget → the ErrorState shows out-of-credit.
func TestBrowserEndToEnd(t *testing.T) {
	bin := chromiumPath(t)
	var clock skewClock
	a := startTestApp(t, clock.config(appConfig{})) // 0.001 ETH
	shots := artifactsDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.WindowSize(1280, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 150*time.Second)
	defer cancelT()

	step := 0
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			step++
			var buf []byte
			if err := chromedp.FullScreenshot(&buf, 80).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, fmt.Sprintf("%02d-%s.jpg", step, name)), buf, 0o644)
		})
	}
	evalUntil := func(expr string, timeout time.Duration) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			deadline := time.Now().Add(timeout)
			for {
				var ok bool
				if err := chromedp.Evaluate(expr, &ok).Do(ctx); err == nil && ok {
					return nil
				}
				if time.Now().After(deadline) {
					var status, errBox string
					_ = chromedp.Evaluate(`(document.getElementById('status')||{}).textContent||''`, &status).Do(ctx)
					_ = chromedp.Evaluate(`(document.getElementById('error-box')||{}).textContent||''`, &errBox).Do(ctx)
					return fmt.Errorf("timed out waiting for %s (status %q, error %q)", expr, status, errBox)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}

	// 1. A first-time visitor sees the card's "Sign in to run".
	var cta string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.Text(`.card .cta-signin`, &cta, chromedp.ByQuery),
		shot("landing"),
	))
	require.Equal(t, "Sign in to run", strings.TrimSpace(cta))

	// 2. "Sign in to run" → sign up (new account, free plan).
	email := "e2e@example.com"
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`.card .cta-signin`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signin-form`, chromedp.ByQuery),
		shot("signin"),
		chromedp.Click(`#to-signup`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signup-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "correct horse battery", chromedp.ByQuery),
		shot("signup"),
		chromedp.Click(`#signup-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#run`, chromedp.ByQuery), // back on the card, signed in
	))
	u, err := a.Store.UserByEmail(context.Background(), email)
	require.NoError(t, err)
	require.Equal(t, int64(1_000_000_000_000_000), u.CapWei)

	// 3. Create a personal key at /keys (shown once).
	var key string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/keys"),
		chromedp.Click(`#create-key`, chromedp.ByQuery),
		chromedp.WaitVisible(`#new-key`, chromedp.ByQuery),
		chromedp.Text(`#new-key`, &key, chromedp.ByQuery),
		shot("key-created"),
	))
	require.True(t, strings.HasPrefix(key, "lpk_"), key)

	// 4. Open the card: the snippet carries the key.
	var snippet string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/models/daydreamlive/streamdiffusion"),
		chromedp.WaitVisible(`#run`, chromedp.ByQuery),
		chromedp.TextContent(`#snippet-go`, &snippet, chromedp.ByQuery),
		shot("card"),
	))
	require.Contains(t, snippet, "Bearer "+key)

	// 5. Run: frames arrive in the page, and they show the transform.
	var local, out []float64
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#run`, chromedp.ByQuery),
		evalUntil(`(window.__frames||0) > 15`, 90*time.Second),
		chromedp.Evaluate(`window.__probe('local')`, &local),
		chromedp.Evaluate(`window.__probe('output')`, &out),
		shot("running"),
	))
	t.Logf("camera mean RGB %v, output mean RGB %v", local, out)
	require.Greater(t, colorDistance(local, out), 10.0, "the output differs from the camera (the pipeline transformed it)")

	// 6. Change the prompt: the full parameter set goes out on the control
	// channel and the output's colour follows. The in-process pipeline picks
	// a hue rotation from the prompt: "flowers" turns the fake camera's
	// green red-orange, "a desert at sunset" turns it blue, so the mean
	// colour must move far and blue must overtake red.
	var before []float64
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.__probe('output')`, &before)))
	require.Greater(t, before[0], before[2], "with the default prompt the output is red-dominant: %v", before)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#param-prompt`, "a desert at sunset", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('param-prompt').dispatchEvent(new Event('input'))`, nil),
		evalUntil(`window.__run && window.__run.controls >= 1`, 15*time.Second),
	))
	var after []float64
	deadline := time.Now().Add(15 * time.Second)
	for {
		require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.__probe('output')`, &after)))
		if colorDistance(before, after) > 40 && after[2] > after[0] {
			break
		}
		require.False(t, time.Now().After(deadline), "the output did not follow the prompt change: before %v, now %v", before, after)
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("output mean RGB before prompt change %v, after %v", before, after)
	require.NoError(t, chromedp.Run(ctx, shot("prompt-changed")))

	spent, err := a.Store.Usage(context.Background(), u.ID)
	require.NoError(t, err)
	require.Positive(t, spent.SpentWei, "the run was metered")
	t.Logf("metered so far: %d wei in %d payments (%d tickets)", spent.SpentWei, spent.Payments, spent.Tickets)

	// 7. Exhaust the budget: the next payment is refused and the page shows out-of-credit.
	cur, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.NoError(t, a.Store.SetCap(context.Background(), u.ID, cur.SpentWei+cur.ReservedWei))
	clock.Advance(2 * time.Minute) // past the minute the first payment bought
	var title, detail, action string
	var rawCollapsed bool
	require.NoError(t, chromedp.Run(ctx,
		evalUntil(`!!document.querySelector('#error-box .error-state[data-kind="out-of-credit"]')`, 60*time.Second),
		chromedp.Text(`#error-box .error-title`, &title, chromedp.ByQuery),
		chromedp.Text(`#error-box .error-detail`, &detail, chromedp.ByQuery),
		chromedp.Text(`#error-box .error-action a`, &action, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const d = document.querySelector('#error-box details.error-raw'); return !!d && !d.open && d.querySelector('pre').textContent.length > 0; })()`, &rawCollapsed),
		shot("out-of-credit"),
	))
	require.Equal(t, "Out of credit", title)
	final, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.LessOrEqual(t, final.SpentWei, final.CapWei)
	// One sentence with the exact figures; the raw chain is collapsed.
	require.Regexp(t, `^Your free trial budget is used up: cap [0-9.]+ ETH, used [0-9.]+ (ETH|gwei)\.$`, detail)
	require.Contains(t, detail, "cap "+meter.FormatETH(big.NewInt(final.CapWei)))
	require.NotContains(t, detail, "insufficient balance", "the raw error is not in the main text")
	require.Equal(t, "See your usage and keys", action)
	require.True(t, rawCollapsed, "the raw error chain is in a collapsed details element")
}

func colorDistance(a, b []float64) float64 {
	if len(a) != 3 || len(b) != 3 {
		return 0
	}
	d := 0.0
	for i := range 3 {
		x := a[i] - b[i]
		d += x * x
	}
	return sqrt(d)
}

func sqrt(x float64) float64 {
	z := x
	if z == 0 {
		return 0
	}
	for range 30 {
		z -= (z*z - x) / (2 * z)
	}
	return z
}
