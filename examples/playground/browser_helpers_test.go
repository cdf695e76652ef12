package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
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

// artifactsDir is where screenshots go: the repository's artifacts/
// directory (gitignored; CI keeps it), or $PLAYGROUND_ARTIFACTS.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PLAYGROUND_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "playground-e2e")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// headless is one Chromium for a test, with a fake camera. Its profile
// directory is the test's to remove, and only after every Chromium process
// (the browser and the helpers it forks: zygote, GPU, network, crashpad)
// has exited: removing it while one still writes there fails the cleanup
// ("directory not empty") and made the test flaky.
type headless struct {
	ctx     context.Context
	profile string

	mu       sync.Mutex
	cmd      *exec.Cmd
	problems []string // uncaught exceptions and security (CSP) console entries
}

// Problems returns the page errors seen so far: uncaught JS exceptions and
// console entries from the security source (Content-Security-Policy
// violations).
func (h *headless) Problems() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.problems...)
}

func startHeadless(t *testing.T, width, height int) *headless {
	t.Helper()
	bin := chromiumPath(t)
	profile, err := os.MkdirTemp("", "playground-e2e-profile-")
	require.NoError(t, err)
	h := &headless{profile: profile}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-breakpad", true), chromedp.Flag("disable-crash-reporter", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.WindowSize(width, height),
		// Its own process group, so every helper process can be found and
		// stopped; killed with us if the test binary dies.
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
			h.mu.Lock()
			h.cmd = cmd
			h.mu.Unlock()
		}),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	h.ctx = ctx
	chromedp.ListenTarget(ctx, func(ev any) {
		var p string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				p += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Source == cdplog.SourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				p = "security: " + e.Entry.Text
			}
		}
		if p != "" {
			h.mu.Lock()
			h.problems = append(h.problems, p)
			h.mu.Unlock()
		}
	})
	require.NoError(t, chromedp.Run(ctx, cdplog.Enable(), runtime.Enable())) // start the browser now
	t.Cleanup(func() {
		// Close the browser gracefully (it stops its helpers), wait for
		// its process, then for the rest of its process group.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = chromedp.Cancel(cctx)
		cancel()
		cancelC()
		cancelA() // waits for the browser process
		h.mu.Lock()
		cmd := h.cmd
		h.mu.Unlock()
		if cmd != nil && cmd.Process != nil {
			waitGroupGone(t, cmd.Process.Pid)
		}
		removeAllRetry(t, profile)
	})
	return h
}

// waitGroupGone waits (≤ 10 s) until no process of process group pgid is
// left, killing stragglers after the first 2 s.
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	killed := false
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if !killed && time.Until(deadline) < 8*time.Second {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			killed = true
		}
		if time.Now().After(deadline) {
			t.Errorf("chromium processes of group %d still running 10 s after the browser closed", pgid)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// removeAllRetry removes dir, retrying while something still writes there.
func removeAllRetry(t *testing.T, dir string) {
	t.Helper()
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("removing the browser profile %s: %v", dir, err)
}

// shooter saves numbered full-page screenshots.
type shooter struct {
	dir   string
	step  int
	names []string
}

func (s *shooter) shot(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		s.step++
		var buf []byte
		if err := chromedp.FullScreenshot(&buf, 80).Do(ctx); err != nil {
			return err
		}
		file := fmt.Sprintf("%02d-%s.jpg", s.step, name)
		s.names = append(s.names, file)
		return os.WriteFile(filepath.Join(s.dir, file), buf, 0o644)
	})
}

// evalUntil polls a JS expression until it is true (bounded; the page's
// status and error box are in the failure).
func evalUntil(expr string, timeout time.Duration) chromedp.Action {
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
			time.Sleep(150 * time.Millisecond)
		}
	})
}
