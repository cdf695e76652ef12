//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// children lists the processes whose parent is pid, with their command
// names (/proc/<pid>/stat: "pid (comm) state ppid ...").
func children(pid int) map[int]string {
	out := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out[child] = s[open+1 : close]
		}
	}
	return out
}

// The "done" list, with real processes: lpgw devnet --json starts
// within 10 s; a second process reads the token from the file and runs
// text-reversal (prints olleh), text-to-image (-o writes the PNG) and the
// toy/echo runner app, and lists every devnet orchestrator; SIGINT
// stops the devnet with exit 0 and no process of its group left, while a
// live session runs through an ffmpeg pipeline in it.
func TestDevnetProcess(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not in PATH")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "devnet.json")
	var stdout, stderr bytes.Buffer
	dn := exec.Command(lpgwBin, "devnet", "--json", path)
	dn.Stdout, dn.Stderr = &stdout, &stderr
	dn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: what is left of it after exit shows
	started := time.Now()
	require.NoError(t, dn.Start())
	exited := make(chan error, 1)
	go func() { exited <- dn.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-dn.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	})

	var info devnetInfo
	for {
		if b, err := os.ReadFile(path); err == nil {
			require.NoError(t, json.Unmarshal(b, &info))
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("devnet exited: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		require.Less(t, time.Since(started), 10*time.Second, "lpgw devnet must be ready within 10 s")
	}
	t.Logf("devnet ready after %s", time.Since(started))

	lpgw := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var o, e bytes.Buffer
		cmd := exec.CommandContext(ctx, lpgwBin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), err
	}
	out, errOut, err := lpgw("run", "text-reversal", `{"text":"hello"}`, "--token", info.Token)
	require.NoError(t, err, errOut)
	require.Contains(t, out, `"reversed":"olleh"`)
	out, errOut, err = lpgw("run", "text-reversal", `{"text":"hello"}`, "--token", info.Token, "--field", "reversed")
	require.NoError(t, err, errOut)
	require.Equal(t, "olleh\n", out)
	// A built-in AI pipeline and a live-runner app from the shell.
	fox := filepath.Join(dir, "fox.png")
	_, errOut, err = lpgw("run", tti, `{"prompt":"a red fox","width":80,"height":48}`, "-o", fox, "--token", info.Token)
	require.NoError(t, err, errOut)
	require.Equal(t, image.Pt(80, 48), pngSize(t, fox))
	out, errOut, err = lpgw("run", "runner/toy/echo", `{"hello":"runner"}`, "--path", "echo/hi", "--token", info.Token)
	require.NoError(t, err, errOut)
	require.Contains(t, out, `"path":"/echo/hi"`)
	out, errOut, err = lpgw("orchestrators", "--token", info.Token)
	require.NoError(t, err, errOut)
	for _, o := range info.Orchestrators {
		require.Contains(t, out, o.Address)
	}
	require.Contains(t, out, strconv.Itoa(len(info.Orchestrators))+" orchestrator(s)")

	// A live session through the ffmpeg transform: the devnet runs ffmpeg.
	liveCtx, stopLive := context.WithCancel(context.Background())
	defer stopLive()
	liveDone := make(chan result, 1)
	go func() {
		liveDone <- runCLI(t, liveCtx, "", "live", "live-video-to-video/streamdiffusion", "--token", info.Token,
			"--duration", "2m", "--out", filepath.Join(dir, "live.ts"))
	}()
	require.Eventually(t, func() bool {
		for _, comm := range children(dn.Process.Pid) {
			if comm == "ffmpeg" {
				return true
			}
		}
		return false
	}, 60*time.Second, 50*time.Millisecond, "the devnet's transform runs ffmpeg")

	require.NoError(t, dn.Process.Signal(syscall.SIGINT))
	sigAt := time.Now()
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status 0 after SIGINT\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("devnet still running 60 s after SIGINT\n%s", stderr.String())
	}
	t.Logf("devnet exited %s after SIGINT", time.Since(sigAt))
	require.Equal(t, 0, dn.ProcessState.ExitCode())
	require.Contains(t, stderr.String(), "stopping")
	err = syscall.Kill(-dn.Process.Pid, 0)
	require.True(t, errors.Is(err, syscall.ESRCH), "a process of the devnet's group is left: %v", err)
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "--json file removed on exit")

	// The client sees its session end; it must not hang.
	stopLive()
	select {
	case r := <-liveDone:
		t.Logf("live client after the devnet stopped: exit %d: %s", r.code, lastLine(r.stderr))
	case <-time.After(60 * time.Second):
		t.Fatal("the live client did not end after the devnet stopped")
	}
}
