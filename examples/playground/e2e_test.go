package main

import (
	"context"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
)

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
// the whole trial, saving a screenshot of every step under artifacts/:
// landing → "Sign in to run" → sign up → create a key → the card's API tab
// (the key in the Go snippet, a Python token that works with the Python
// SDK's calls, the copy button, a form change in the snippet) → run (output
// frames show the transform; a prompt change shows in the colour) → stop →
// run → stop → run (all start) → the budget runs out (out-of-credit) → Run
// again (out-of-credit, not a media error) → a 390 px phone viewport with
// no horizontal scroll. It logs the time from landing to the first output
// frame.
func TestBrowserEndToEnd(t *testing.T) {
	var clock skewClock
	a := startTestApp(t, clock.config(appConfig{})) // 0.001 ETH
	h := startHeadless(t, 1280, 1000)
	ctx, cancel := context.WithTimeout(h.ctx, 240*time.Second)
	defer cancel()
	sh := &shooter{dir: artifactsDir(t)}
	defer func() { t.Logf("screenshots in %s: %s", sh.dir, strings.Join(sh.names, ", ")) }()

	// 1. A first-time visitor sees the card's "Sign in to run", the
	// simulated-network banner and an example output.
	var cta, banner string
	var exampleOK bool
	landing := time.Now()
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.Text(`.card .cta-signin`, &cta, chromedp.ByQuery),
		chromedp.Text(`#sim-banner`, &banner, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const i = document.querySelector('.card .example img'); return !!i && i.complete && i.naturalWidth > 0; })()`, &exampleOK),
		sh.shot("landing"),
	))
	require.Equal(t, "Sign in to run", strings.TrimSpace(cta))
	require.Contains(t, banner, "Simulated local network")
	require.True(t, exampleOK, "the signed-out card shows an example output")

	// 2. "Sign in to run" → a wrong sign-in keeps the email and shows the
	// error under the heading → sign up (the budget is stated there).
	email := "e2e@example.com"
	var formErr, kept, plan string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`.card .cta-signin`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signin-form`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "not the password", chromedp.ByQuery),
		chromedp.Click(`#signin-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#form-error`, chromedp.ByQuery),
		chromedp.Text(`#form-error`, &formErr, chromedp.ByQuery),
		chromedp.Value(`#email`, &kept, chromedp.ByQuery),
		sh.shot("signin-error"),
		chromedp.Click(`#to-signup`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signup-form`, chromedp.ByQuery),
		chromedp.Text(`#plan-line`, &plan, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "correct horse battery", chromedp.ByQuery),
		sh.shot("signup"),
		chromedp.Click(`#signup-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#run`, chromedp.ByQuery), // back on the card, signed in
	))
	require.Equal(t, "wrong email or password", strings.TrimSpace(formErr))
	require.Equal(t, email, kept, "the email field is not cleared")
	require.Contains(t, plan, "0.001 ETH")
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
		sh.shot("key-created"),
	))
	require.True(t, strings.HasPrefix(key, "lpk_"), key)

	// 4. The card's API tab: the key is in the Go snippet and inside the
	// Python snippet's token, which works with the Python SDK's calls.
	var goSnip, pySnip string
	var pyCopy bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/models/daydreamlive/streamdiffusion"),
		chromedp.WaitVisible(`#run`, chromedp.ByQuery),
		chromedp.Click(`#tab-api`, chromedp.ByQuery),
		chromedp.WaitVisible(`#snippet-go`, chromedp.ByQuery),
		chromedp.TextContent(`#snippet-go`, &goSnip, chromedp.ByQuery),
		sh.shot("api-go"),
		chromedp.Click(`#tab-python`, chromedp.ByQuery),
		chromedp.WaitVisible(`#snippet-python`, chromedp.ByQuery),
		chromedp.TextContent(`#snippet-python`, &pySnip, chromedp.ByQuery),
		chromedp.Evaluate(`!document.getElementById('copy-python').disabled`, &pyCopy),
		sh.shot("api-python"),
	))
	require.Contains(t, goSnip, "Bearer "+key)
	require.Contains(t, goSnip, `gw.Live(ctx, "live-video-to-video/streamdiffusion"`)
	require.True(t, pyCopy)
	m := pyTokenLine.FindStringSubmatch(pySnip)
	require.NotNil(t, m, pySnip)
	require.Equal(t, "Bearer "+key, parsePyToken(t, m[1]).SignerHeaders["Authorization"])
	pythonSDKSession(t, m[1], "streamdiffusion", map[string]any{"prompt": "from the page's Python token"})

	// 5. The copy button copies the snippet as shown.
	var copied, shown string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#tab-go`, chromedp.ByQuery),
		chromedp.Click(`#copy-go`, chromedp.ByQuery),
		evalUntil(`typeof window.__copied === 'string'`, 5*time.Second),
		chromedp.Evaluate(`window.__copied`, &copied),
		chromedp.TextContent(`#snippet-go`, &shown, chromedp.ByQuery),
		sh.shot("copied"),
	))
	require.Equal(t, shown, copied)
	require.Contains(t, copied, "Bearer "+key)

	// 6. A parameter change on the form is in every snippet.
	var afterChange, pyAfter string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#tab-playground`, chromedp.ByQuery),
		chromedp.SetValue(`#param-guidance_scale`, "2.25", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('param-guidance_scale').dispatchEvent(new Event('input'))`, nil),
		chromedp.SetValue(`#param-negative_prompt`, "grainy", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('param-negative_prompt').dispatchEvent(new Event('input'))`, nil),
		evalUntil(`document.getElementById('snippet-go').textContent.includes('"grainy"') && document.getElementById('snippet-go').textContent.includes('2.25')`, 10*time.Second),
		chromedp.Click(`#tab-api`, chromedp.ByQuery),
		chromedp.TextContent(`#snippet-go`, &afterChange, chromedp.ByQuery),
		chromedp.TextContent(`#snippet-python`, &pyAfter, chromedp.ByQuery),
		sh.shot("snippet-follows-form"),
		chromedp.Click(`#tab-playground`, chromedp.ByQuery),
	))
	require.Regexp(t, `GuidanceScale: +streamdiffusion\.Float\(2\.25\),`, afterChange)
	require.Contains(t, pyAfter, `"negative_prompt": "grainy",`)
	require.Contains(t, afterChange, "Bearer "+key, "the key stays in")
	// Each parameter says whether it applies live or reloads the pipeline
	// (streamdiffusion.Diff).
	var liveBadge, reloadBadge string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Text(`#effect-prompt`, &liveBadge, chromedp.ByQuery),
		chromedp.Text(`#effect-enable_similar_image_filter`, &reloadBadge, chromedp.ByQuery),
	))
	require.Equal(t, "live", liveBadge)
	require.Equal(t, "reloads", reloadBadge)

	// 7. Run: frames arrive in the page, and they show the transform.
	var local, out []float64
	var runToFrame float64
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#run`, chromedp.ByQuery),
		evalUntil(`(window.__frames||0) > 15`, 90*time.Second),
		chromedp.Evaluate(`window.__firstFrameAt - window.__runStarted`, &runToFrame),
		chromedp.Evaluate(`window.__probe('local')`, &local),
		chromedp.Evaluate(`window.__probe('output')`, &out),
		evalUntil(`!!window.__run && window.__run.seconds >= 1 && document.getElementById('stat-fps').textContent !== '–'`, 15*time.Second),
		sh.shot("running"),
	))
	t.Logf("Run → first output frame %.0f ms; landing → first output frame %v (including the test's sign-up, key and snippet steps)",
		runToFrame, time.Since(landing).Round(time.Millisecond))
	t.Logf("camera mean RGB %v, output mean RGB %v", local, out)
	require.Greater(t, colorDistance(local, out), 10.0, "the output differs from the camera (the pipeline transformed it)")

	// 8. Change the prompt: the full parameter set goes out on the control
	// channel and the output's colour follows. "flowers" gives the fake
	// camera's green a rose tint (red over blue), "an ocean at night" a
	// cool one (blue over red).
	var before []float64
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.__probe('output')`, &before)))
	require.Greater(t, before[0], before[2], "with the default prompt the output is red over blue: %v", before)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#param-prompt`, "an ocean at night", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('param-prompt').dispatchEvent(new Event('input'))`, nil),
		evalUntil(`window.__run && window.__run.controls >= 1`, 15*time.Second),
	))
	var after []float64
	deadline := time.Now().Add(20 * time.Second)
	for {
		require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`window.__probe('output')`, &after)))
		if colorDistance(before, after) > 25 && after[2] > after[0] {
			break
		}
		require.False(t, time.Now().After(deadline), "the output did not follow the prompt change: before %v, now %v", before, after)
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("output mean RGB before prompt change %v, after %v", before, after)
	require.NoError(t, chromedp.Run(ctx, sh.shot("prompt-changed")))

	// A change that reloads the pipeline is sent, and the page says so.
	var notice string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#param-enable_similar_image_filter`, chromedp.ByQuery),
		evalUntil(`window.__paramEffect === 'reload' && !document.getElementById('param-notice').hidden`, 15*time.Second),
		chromedp.Text(`#param-notice`, &notice, chromedp.ByQuery),
		sh.shot("reload-notice"),
	))
	require.Contains(t, notice, "Changing Skip similar frames reloads the pipeline")

	spent, err := a.Store.Usage(context.Background(), u.ID)
	require.NoError(t, err)
	require.Positive(t, spent.SpentWei, "the run was metered")
	t.Logf("metered so far: %d wei in %d payments (%d tickets)", spent.SpentWei, spent.Payments, spent.Tickets)

	// 9. Stop → a summary; run → stop → run: every start is accepted.
	var summary string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(`#stop`, chromedp.ByQuery),
		chromedp.WaitVisible(`#run-summary`, chromedp.ByQuery),
		chromedp.Text(`#run-summary`, &summary, chromedp.ByQuery),
		evalUntil(`!document.getElementById('run').disabled && document.getElementById('stop').disabled`, 5*time.Second),
		sh.shot("stopped-summary"),
	))
	require.Regexp(t, `^Run ended: \d+:\d\d long · cost [0-9.]+ (ETH|gwei) in \d+ payments? · \d+ output frames`, summary)
	for i := 2; i <= 3; i++ {
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Click(`#run`, chromedp.ByQuery),
			evalUntil(`(window.__frames||0) > 5`, 60*time.Second),
			sh.shot("run-"+string(rune('0'+i))),
		), "start %d", i)
		var box string
		require.NoError(t, chromedp.Run(ctx, chromedp.Text(`#error-box`, &box, chromedp.ByQuery)))
		require.Empty(t, strings.TrimSpace(box), "run %d starts with no error", i)
		if i == 2 {
			require.NoError(t, chromedp.Run(ctx,
				chromedp.Click(`#stop`, chromedp.ByQuery),
				evalUntil(`!document.getElementById('run').disabled`, 5*time.Second)))
		}
	}

	// 10. The budget runs out during run 3 (and its prepaid minute passes):
	// the page shows out-of-credit with the figures.
	cur, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.NoError(t, a.Store.SetCap(context.Background(), u.ID, cur.SpentWei+cur.ReservedWei))
	clock.Advance(2 * time.Minute)
	var title, detail, action string
	var rawCollapsed bool
	require.NoError(t, chromedp.Run(ctx,
		evalUntil(`!!document.querySelector('#error-box .error-state[data-kind="out-of-credit"]')`, 60*time.Second),
		chromedp.Text(`#error-box .error-title`, &title, chromedp.ByQuery),
		chromedp.Text(`#error-box .error-detail`, &detail, chromedp.ByQuery),
		chromedp.Text(`#error-box .error-action a`, &action, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const d = document.querySelector('#error-box details.error-raw'); return !!d && !d.open && d.querySelector('pre').textContent.length > 0; })()`, &rawCollapsed),
		sh.shot("out-of-credit"),
	))
	require.Equal(t, "Out of credit", title)
	final, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.LessOrEqual(t, final.SpentWei, final.CapWei)
	require.Regexp(t, `^Your free trial budget is used up: cap [0-9.]+ ETH, used [0-9.]+ (ETH|gwei)\.$`, detail)
	require.Contains(t, detail, "cap "+meter.FormatETH(big.NewInt(final.CapWei)))
	require.NotContains(t, detail, "insufficient balance", "the raw error is not in the main text")
	require.Equal(t, "See your usage and keys", action)
	require.True(t, rawCollapsed, "the raw error chain is in a collapsed details element")

	// 11. Run again: the run's own error (out-of-credit), not a media error.
	var again string
	require.NoError(t, chromedp.Run(ctx,
		evalUntil(`!document.getElementById('run').disabled`, 10*time.Second),
		chromedp.Click(`#run`, chromedp.ByQuery),
		evalUntil(`!!document.querySelector('#error-box .error-state') && !document.getElementById('run').disabled`, 20*time.Second),
		chromedp.Evaluate(`document.querySelector('#error-box .error-state').dataset.kind`, &again),
		sh.shot("run-again-out-of-credit"),
	))
	require.Equal(t, "out-of-credit", again)

	// 12. A phone: 390 px wide, no horizontal scroll on any page.
	for _, pg := range []struct{ path, name, click string }{
		{"/", "mobile-landing", ""}, {"/models/daydreamlive/streamdiffusion", "mobile-card", ""},
		{"/models/daydreamlive/streamdiffusion", "mobile-api", "#tab-api"}, {"/keys", "mobile-keys", ""},
	} {
		var sw, iw int
		actions := []chromedp.Action{chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(a.URL + pg.path)}
		if pg.click != "" {
			actions = append(actions, chromedp.Click(pg.click, chromedp.ByQuery))
		}
		actions = append(actions,
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &sw),
			chromedp.Evaluate(`window.innerWidth`, &iw),
			sh.shot(pg.name))
		require.NoError(t, chromedp.Run(ctx, actions...))
		require.Equal(t, 390, iw, pg.name)
		require.LessOrEqual(t, sw, iw, "%s: the page is %d px wide in a %d px viewport", pg.name, sw, iw)
	}
	require.Empty(t, h.Problems(), "no uncaught exception and no Content-Security-Policy violation on any page")
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
	return math.Sqrt(d)
}
