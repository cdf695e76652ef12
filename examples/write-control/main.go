// Command write-control starts a live-video-to-video session and sends
// -count control messages on its control channel, each the JSON object of -msg with
// a counter field "n" added, printing each send. It also reads the control
// channel back (a trickle channel can be read by anyone who holds its URL)
// and prints what went over it, so the session's {"keep":"alive"} messages,
// which go out every -keepalive in the background, show up between yours.
//
//	go run ./examples/write-control                              # in-process network
//	go run ./examples/write-control -count 10 -interval 500ms -msg '{"prompt":"a cat"}'
//	go run ./examples/write-control -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest).
// It exits 0 after the last message, non-zero with a one-line error on failure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "write-control:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("write-control", "[orchestrator-address ...]",
		"Starts a live-video-to-video session, sends control messages on its\ncontrol channel, and reads the channel back to show them and the\nsession's keepalives.", stderr)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "live-video-to-video capability (pipeline/model)")
	n := fs.Int("count", 5, "number of control messages")
	interval := fs.Duration("interval", time.Second, "time between messages")
	msgJSON := fs.String("msg", `{"prompt":"a watercolor landscape"}`, `message (JSON object); "n" is set to the message's number`)
	keepalive := fs.Duration("keepalive", 2*time.Second, "keepalive interval (go-livepeer's gateway uses 10s)")
	echo := fs.Bool("echo", true, "read the control channel back and print what went over it")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	if *n < 1 {
		return fmt.Errorf("-count must be at least 1, got %d", *n)
	}
	if *keepalive <= 0 {
		return fmt.Errorf("-keepalive must be positive, got %s", *keepalive)
	}
	var msg map[string]any
	if err := json.Unmarshal([]byte(*msgJSON), &msg); err != nil || msg == nil {
		return fmt.Errorf("-msg must be a JSON object: %q", *msgJSON)
	}
	ctx, stop := flags.Context(ctx)
	defer stop()
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{Orchestrators: 1}}, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	sess, err := env.Gateway.Live(ctx, *capability, nil, livepeer.WithKeepaliveInterval(*keepalive))
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(stderr, "session %s on %s, keepalive every %s\n", sess.Info().ManifestID, sess.Info().Orchestrator, *keepalive)

	var mu sync.Mutex // serialises lines on stdout
	printf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format, a...)
	}
	echoed := make(chan struct{}, *n) // one per message of ours read back
	var wg sync.WaitGroup
	defer wg.Wait()
	echoCtx, stopEcho := context.WithCancel(ctx)
	defer stopEcho()
	if *echo {
		sub, err := trickle.NewSubscriber(sess.Info().ControlURL, trickle.SubscriberConfig{})
		if err != nil {
			return err
		}
		wg.Go(func() {
			defer sub.Close()
			for {
				seg, err := sub.Next(echoCtx)
				if err != nil {
					return
				}
				b, _ := io.ReadAll(io.LimitReader(seg, 1<<20))
				seg.Close()
				printf("control channel seq %d: %s\n", seg.Seq(), b)
				if bytes.Contains(b, []byte(`"n":`)) {
					select {
					case echoed <- struct{}{}:
					default:
					}
				}
			}
		})
	}

	for i := 1; i <= *n; i++ {
		if i > 1 {
			select {
			case <-time.After(*interval):
			case <-ctx.Done():
				return ctx.Err()
			case <-sess.Done():
				return fmt.Errorf("session ended: %w", sess.Err())
			}
		}
		m := make(map[string]any, len(msg)+1)
		for k, v := range msg {
			m[k] = v
		}
		m["n"] = i
		b, _ := json.Marshal(m)
		printf("sending %d/%d: %s\n", i, *n, b)
		if err := sess.Control(ctx, json.RawMessage(b)); err != nil {
			// A session that ended, or a cancelled ctx, stops the run; a
			// failed write of one message is reported and skipped.
			select {
			case <-sess.Done():
				return fmt.Errorf("control message %d: %w", i, err)
			default:
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			printf("message %d/%d not sent (skipped): %v\n", i, *n, err)
		}
	}
	// Let the echo reader see our messages before the session closes (a
	// bounded wait: a message that was not sent never comes back).
	if *echo {
		wait := time.After(5 * time.Second)
	drain:
		for range *n {
			select {
			case <-echoed:
			case <-wait:
				break drain
			}
		}
	}
	stopEcho()
	wg.Wait()
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}
