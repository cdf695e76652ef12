package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lpgwBin is the command built once for the tests that run it as a real
// process (devnet_process_test.go).
var lpgwBin string

func TestMain(m *testing.M) {
	// A developer's token must not turn the in-process tests into calls to
	// a real network.
	os.Unsetenv(tokenEnv)
	dir, err := os.MkdirTemp("", "lpgw-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lpgwBin = filepath.Join(dir, "lpgw")
	if out, err := exec.Command("go", "build", "-o", lpgwBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build lpgw: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is one in-process run of the command.
type result struct {
	stdout, stderr string
	err            error
	code           int
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// runCLI runs the command in-process, as main would, with stdin.
func runCLI(t *testing.T, ctx context.Context, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err, code: exitCode(err)}
}

// testDevnet is an lpgw devnet running in-process (run "devnet").
type testDevnet struct {
	info devnetInfo
	out  *syncBuffer
	stop func() error // cancels it and returns run's error
}

// startTestDevnet runs "lpgw devnet --json FILE args..." in a goroutine
// and waits for the file.
func startTestDevnet(t *testing.T, args ...string) *testDevnet {
	t.Helper()
	path := filepath.Join(t.TempDir(), "devnet.json")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"devnet", "--json", path}, args...), strings.NewReader(""), &out, &errOut)
	}()
	var once sync.Once
	var stopErr error
	d := &testDevnet{out: &out, stop: func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(60 * time.Second):
				stopErr = fmt.Errorf("devnet did not stop within 60 s")
			}
		})
		return stopErr
	}}
	t.Cleanup(func() { _ = d.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			require.NoError(t, json.Unmarshal(b, &d.info))
			return d
		}
		select {
		case err := <-done:
			t.Fatalf("devnet ended before it was ready: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "devnet not ready after 30 s")
	}
}
