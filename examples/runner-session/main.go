// Command runner-session reserves a persistent live-runner session and
// uses it the way any Go HTTP code would: one plain HTTP call, a stream of
// server-sent events, a WebSocket echo (github.com/coder/websocket, given
// the session's *http.Client), while payments run underneath; then it
// stops the session. Each step is printed as it happens.
//
//	go run ./examples/runner-session                      # in-process network
//	go run ./examples/runner-session -token "$LIVEPEER_TOKEN" -app acme/echo
//
// The app must answer GET {app}/{-http-path}, stream events at
// {-sse-path} and echo WebSocket messages at {-ws-path} (the in-process
// network's toy runner, livepeertest/worker.RunnerApp, does). With no
// address and no -token, -signer or -discovery it starts the SDK's
// in-process Livepeer network (livepeertest). It exits non-zero with a
// one-line error on failure.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coder/websocket"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner-session:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("runner-session", "[orchestrator-address ...]",
		"Reserves a live-runner session, makes one HTTP call, reads server-sent\nevents, echoes a WebSocket message, waits for a payment and stops it.", stderr)
	app := fs.String("app", exampleutil.EchoApp, "the runner app")
	httpPath := fs.String("http-path", "echo/hello?from=go", "path of the plain HTTP call")
	ssePath := fs.String("sse-path", "ticks?count=3&interval_ms=100", "path of the event stream")
	wsPath := fs.String("ws-path", "ws", "path of the WebSocket echo")
	interval := fs.Duration("payment-interval", time.Second, "how often the session pays (keep it below the orchestrator's 5 s)")
	payWait := fs.Duration("payment-wait", 10*time.Second, "how long to wait for a payment after the reservation's")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	stderr = exampleutil.SyncWriter(stderr) // warnings come from the session's payment goroutine
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: exampleutil.ToyRunnersNetwork(), Setup: exampleutil.ServeToyRunners}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	s, err := env.Gateway.Reserve(ctx, *app, livepeer.WithPaymentInterval(*interval),
		livepeer.WithRunnerWarnings(func(w livepeer.RunnerWarning) { fmt.Fprintln(stderr, "warning:", w) }))
	if err != nil {
		return err
	}
	defer s.Close()
	r := s.Runner()
	fmt.Fprintf(stdout, "reserved session %s of %s on %s (price %s)\n", s.ID(), r.App, r.Orchestrator, r.Price)
	fmt.Fprintf(stdout, "app URL %s\n", s.AppURL())
	hc := s.Client()

	// 1. One plain HTTP call.
	body, status, err := get(ctx, hc, s.URL(*httpPath))
	if err != nil {
		return fmt.Errorf("HTTP call: %w", err)
	}
	fmt.Fprintf(stdout, "HTTP GET %s → %d, %d bytes: %s\n", *httpPath, status, len(body), shorten(strings.TrimSpace(body), 100))

	// 2. Server-sent events, printed as they arrive.
	n, err := events(ctx, hc, s.URL(*ssePath), func(ev string) { fmt.Fprintf(stdout, "SSE event: %s\n", ev) })
	if err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	fmt.Fprintf(stdout, "SSE stream ended after %d events\n", n)

	// 3. A WebSocket echo over the session's client (HTTP/1.1 upgrade).
	if err := echo(ctx, hc, s.URL(*wsPath), "hello over a WebSocket", stdout); err != nil {
		return fmt.Errorf("WebSocket: %w", err)
	}

	// 4. Payments: the reservation's, then one on the timer.
	if r.Price == nil {
		fmt.Fprintln(stdout, "payments: none (the runner is free: off-chain)")
	} else {
		deadline := time.After(*payWait)
		for s.Payments() < 2 {
			select {
			case <-s.Done():
				return fmt.Errorf("the session ended: %w", s.Err())
			case <-deadline:
				return fmt.Errorf("no payment within %v after the reservation's", *payWait)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		fmt.Fprintf(stdout, "payments accepted: %d (the reservation's and %d on the timer)\n", s.Payments(), s.Payments()-1)
	}

	// 5. Stop.
	if err := s.Close(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

func get(ctx context.Context, hc *http.Client, url string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", 0, err
	}
	if resp.StatusCode/100 != 2 {
		return "", resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return string(b), resp.StatusCode, nil
}

// events reads a text/event-stream and hands each event's data to f.
func events(ctx context.Context, hc *http.Client, url string, f func(string)) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		return 0, fmt.Errorf("HTTP %d %q, not an event stream", resp.StatusCode, ct)
	}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			n++
			f(data)
		}
	}
	return n, sc.Err()
}

// echo opens a WebSocket, prints the app's greeting and one echo.
func echo(ctx context.Context, hc *http.Client, url, msg string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	_, hello, err := c.Read(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "WebSocket open: %s\n", hello)
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		return err
	}
	_, back, err := c.Read(ctx)
	if err != nil {
		return err
	}
	if string(back) != msg {
		return errors.New("the echo differs from the message")
	}
	fmt.Fprintf(out, "WebSocket echo: %s\n", back)
	return c.Close(websocket.StatusNormalClosure, "done")
}

// shorten cuts s to n bytes at most (the toy echo app also echoes the
// session headers the orchestrator gave it, a session token among them).
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
