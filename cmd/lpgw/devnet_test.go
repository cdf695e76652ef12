package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// control sends one request to the devnet's control endpoint and decodes
// the state it answers.
func control(t *testing.T, d *testDevnet, method, path string) (int, devnetInfo, string) {
	t.Helper()
	req, err := http.NewRequest(method, d.info.Control+path, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var st devnetInfo
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &st), "%s", body)
	}
	return resp.StatusCode, st, string(body)
}

// The devnet lists every orchestrator and runner it announces, runs jobs
// for a token, and its control endpoint's knobs change what clients see:
// a black-holed orchestrator drops out of the list, a downed signer and
// a spent budget fail jobs with their own exit codes.
func TestDevnetServesAndFaults(t *testing.T) {
	ctx := testCtx(t)
	d := startTestDevnet(t, "--orchestrators", "3")
	require.Len(t, d.info.Orchestrators, 3)
	require.Contains(t, d.out.String(), "token      "+d.info.Token)
	require.Equal(t, []string{"toy/runner-app", "toy/echo", "live-video-to-video/scope"}, d.info.RunnerApps)
	tok := []string{"--token", d.info.Token, "--orchestrator-timeout", "2s"}

	r := runCLI(t, ctx, "", append([]string{"orchestrators", "--json"}, tok...)...)
	require.NoError(t, r.err, r.stderr)
	var rows []orchRow
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rows))
	require.Len(t, rows, 3)
	var names []string
	for _, c := range rows[0].Capabilities {
		names = append(names, c.Name)
	}
	require.ElementsMatch(t, d.info.Capabilities, names, "every capability the devnet announces is listed")
	for _, o := range d.info.Orchestrators {
		require.True(t, strings.Contains(r.stdout, o.Address), "orchestrator %s listed", o.Address)
	}

	r = runCLI(t, ctx, "", append([]string{"runners", "--json"}, tok...)...)
	require.NoError(t, r.err, r.stderr)
	var rs []runnerRecord
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rs))
	require.Len(t, rs, 3*3, "three apps on each of three orchestrators")
	for _, x := range rs {
		require.Equal(t, devnetGPU.Name, x.GPU.Name)
		require.NotNil(t, x.PriceInfo)
		require.Equal(t, "wei", x.PriceInfo.Currency)
	}
	r = runCLI(t, ctx, "", append([]string{"runners", "--app", "toy/echo"}, tok...)...)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "single-shot")
	require.Contains(t, r.stdout, "3 runner(s)")

	// Black-hole orchestrator 0: it drops out of the list.
	st, info, _ := control(t, d, http.MethodPost, "/orchestrators/0/blackhole")
	require.Equal(t, http.StatusOK, st)
	require.True(t, info.Faults.Orchestrators[0].Blackhole)
	r = runCLI(t, ctx, "", append([]string{"orchestrators"}, tok...)...)
	require.NoError(t, r.err, r.stderr)
	require.NotContains(t, r.stdout, d.info.Orchestrators[0].Address)
	require.Contains(t, r.stdout, "2 orchestrator(s)")
	st, info, _ = control(t, d, http.MethodDelete, "/orchestrators/0/blackhole")
	require.Equal(t, http.StatusOK, st)
	require.False(t, info.Faults.Orchestrators[0].Blackhole)

	st, info, _ = control(t, d, http.MethodPost, "/orchestrators/1/latency?d=150ms")
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, "150ms", info.Faults.Orchestrators[1].Latency)

	// Signer down: exit code 5 and a line naming the signer.
	_, info, _ = control(t, d, http.MethodPost, "/signer/down")
	require.True(t, info.Faults.Signer.Down)
	r = runCLI(t, ctx, "", append([]string{"run", "text-reversal", `{"text":"x"}`}, tok...)...)
	require.Equal(t, exitService, r.code, r.stderr)
	require.Contains(t, lastLine(r.stderr), "remote signer")
	control(t, d, http.MethodDelete, "/signer/down")

	// A spent budget: exit code 4, "out of credit".
	_, info, _ = control(t, d, http.MethodPost, "/signer/balance?wei=0")
	require.Equal(t, "0", info.Faults.Signer.Budget)
	r = runCLI(t, ctx, "", append([]string{"run", "text-reversal", `{"text":"x"}`}, tok...)...)
	require.Equal(t, exitNoCredit, r.code, r.stderr)
	require.Contains(t, lastLine(r.stderr), "out of credit")
	_, info, _ = control(t, d, http.MethodPost, "/signer/balance?wei=unlimited")
	require.Equal(t, "unlimited", info.Faults.Signer.Budget)
	r = runCLI(t, ctx, "", append([]string{"run", "text-reversal", `{"text":"ok"}`, "--field", "reversed"}, tok...)...)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "ko\n", r.stdout)

	_, info, _ = control(t, d, http.MethodPost, "/blocks/advance?n=41")
	require.EqualValues(t, 41, info.Faults.BlocksAdvance)
	r = runCLI(t, ctx, "", append([]string{"run", "text-reversal", `{"text":"after"}`, "--field", "reversed"}, tok...)...)
	require.NoError(t, r.err, "ticket params expired: the SDK refreshes them: %s", r.stderr)

	// Bad requests say why.
	for _, c := range []struct {
		method, path string
		status       int
		want         string
	}{
		{http.MethodPost, "/orchestrators/9/blackhole", http.StatusNotFound, "no orchestrator 9"},
		{http.MethodPost, "/orchestrators/x/blackhole", http.StatusBadRequest, "not a number"},
		{http.MethodPost, "/orchestrators/0/latency?d=soon", http.StatusBadRequest, "want a duration"},
		{http.MethodPost, "/signer/balance?wei=-1", http.StatusBadRequest, "not a whole number"},
		{http.MethodPost, "/blocks/advance?n=0", http.StatusBadRequest, "positive integer"},
		{http.MethodGet, "/signer/down", http.StatusMethodNotAllowed, ""},
	} {
		st, _, body := control(t, d, c.method, c.path)
		require.Equal(t, c.status, st, "%s %s: %s", c.method, c.path, body)
		require.Contains(t, body, c.want)
	}

	require.NoError(t, d.stop(), "the devnet stops cleanly when its context ends")
	require.Contains(t, d.out.String(), "Ctrl-C stops the devnet")
}

// --port-base puts everything on fixed ports: control, signer, discovery,
// then the orchestrators; --signer-down-after takes the signer down.
func TestDevnetPortBaseAndSignerDownAfter(t *testing.T) {
	ctx := testCtx(t)
	var d *testDevnet
	for attempt := 0; ; attempt++ {
		base := freePortRange(t, 5)
		path := filepath.Join(t.TempDir(), "d.json")
		out, errOut := &syncBuffer{}, &syncBuffer{}
		done := make(chan error, 1)
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			done <- run(cctx, []string{"devnet", "--orchestrators", "2", "--port-base", strconv.Itoa(base), "--json", path,
				"--signer-down-after", "1s", "--blackhole", "1", "--latency", "0=10ms"}, strings.NewReader(""), out, errOut)
		}()
		info, err := waitJSON(path, done)
		if err != nil {
			cancel()
			require.True(t, errors.Is(err, syscall.EADDRINUSE) && attempt < 5, "%v\n%s", err, errOut.String())
			continue
		}
		d = &testDevnet{info: info, out: out, stop: func() error { cancel(); return <-done }}
		t.Cleanup(func() { cancel() })
		require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d", base), info.Control)
		require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d", base+1), info.Signer)
		require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d/discover-orchestrators", base+2), info.Discovery)
		require.Equal(t, fmt.Sprintf("127.0.0.1:%d", base+3), info.Orchestrators[0].Address)
		require.Equal(t, fmt.Sprintf("127.0.0.1:%d", base+4), info.Orchestrators[1].Address)
		break
	}
	_, st, _ := control(t, d, http.MethodGet, "/")
	require.True(t, st.Faults.Orchestrators[1].Blackhole)
	require.Equal(t, "10ms", st.Faults.Orchestrators[0].Latency)
	require.Eventually(t, func() bool {
		_, st, _ := control(t, d, http.MethodGet, "/")
		return st.Faults.Signer.Down
	}, 30*time.Second, 50*time.Millisecond, "the signer goes down after --signer-down-after")
	r := runCLI(t, ctx, "", "run", "text-reversal", `{}`, "--token", d.info.Token, "--orchestrator-timeout", "1s")
	require.Equal(t, exitService, r.code, r.stderr)
	require.NoError(t, d.stop())
}

// freePortRange finds n consecutive loopback ports that were free a
// moment ago.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		base := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if base+n > 65535 {
			continue
		}
		ok := true
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			_ = l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// waitJSON waits for the devnet's --json file, or for run to end.
func waitJSON(path string, done <-chan error) (devnetInfo, error) {
	var info devnetInfo
	deadline := time.After(30 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil {
			return info, json.Unmarshal(b, &info)
		}
		select {
		case err := <-done:
			return info, fmt.Errorf("devnet ended: %w", err)
		case <-deadline:
			return info, errors.New("devnet not ready after 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
