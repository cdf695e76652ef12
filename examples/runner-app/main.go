// Command runner-app is a Go live runner: a realtime video filter (ffmpeg
// negate or hue rotation, switched by a control message) that registers
// with an orchestrator (package runner) and serves sessions. With no flags
// it also plays the client in the same process, on the SDK's in-process
// network (livepeertest): it registers, a client reserves a session and
// sends a test pattern through the filter, changes the effect once, writes
// the filtered video to -o, stops; the runner prints "released",
// unregisters and the program exits.
//
//	go run ./examples/runner-app                         # runner and client, in-process
//	go run ./examples/runner-app -v                       # with heartbeats
//	go run ./examples/runner-app -orch https://orch:8935 -secret "$ORCH_SECRET" -url http://this-host:9000 -listen :9000
//
// Against a real orchestrator (-orch, -secret) it only serves, until
// Ctrl-C or -timeout: clients reach it as "runner/<app>" (Gateway.Live
// with params {"effect": "negate"}; a control message {"effect": "hue",
// "hue": 120} changes the effect). The app speaks the Scope protocol: POST
// {app_url}/scope with a live-video-to-video job creates the session's
// channels (runner.Video). It needs ffmpeg in PATH and exits non-zero with a
// one-line error on failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner-app:", err)
		os.Exit(1)
	}
}

// inProcessSecret is the in-process orchestrator's bootstrap secret.
const inProcessSecret = "runner-app-secret"

type options struct {
	orch, secret, listen, url, app, price, output string
	capacity                                      int
	verbose                                       bool
	duration, timeout                             time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("runner-app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.orch, "orch", "", "orchestrator's runner-facing URL to register with (default: an in-process one, and a client)")
	fs.StringVar(&o.secret, "secret", "", "the orchestrator's bootstrap secret (-orchSecret)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address the app listens on")
	fs.StringVar(&o.url, "url", "", "URL the orchestrator reaches the app at (default http://<listen address>)")
	fs.StringVar(&o.app, "app", "example/video-filter", "the app name advertised")
	fs.StringVar(&o.price, "price-usd", "1.8", "price in USD per hour of session")
	fs.IntVar(&o.capacity, "capacity", 2, "sessions served at once")
	fs.BoolVar(&o.verbose, "v", false, "print heartbeats too")
	fs.StringVar(&o.output, "o", "runner-app.ts", "in-process run: where the client writes the filtered video")
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "in-process run: test pattern duration")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up (or, serving, stop) after this long (0: no limit)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: runner-app [flags]\n\nA Go live runner: an ffmpeg video filter (negate, or hue rotation) switched\nby control messages. With no -orch it runs on the in-process network and\ndrives one client session itself.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if (o.orch == "") != (o.secret == "") {
		return errors.New("-orch and -secret go together")
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	stdout = exampleutil.SyncWriter(stdout) // the runner's goroutines print too

	var n *livepeertest.Network
	if o.orch == "" {
		var err error
		n, err = livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Runners: &livepeertest.RunnersConfig{Secret: inProcessSecret}})
		if err != nil {
			return fmt.Errorf("start the in-process network: %w", err)
		}
		defer n.Close()
		o.orch, o.secret = n.Orchestrators()[0].URL(), inProcessSecret
		fmt.Fprintln(stderr, "using the in-process network (livepeertest)")
	}
	a, err := startApp(ctx, o, stdout)
	if err != nil {
		return err
	}
	defer a.close()
	if n == nil {
		fmt.Fprintln(stdout, "serving; Ctrl-C to stop")
		<-ctx.Done()
		return a.close()
	}
	if err := client(ctx, n, o, stdout); err != nil {
		return err
	}
	// The client stopped its session: the runner hears "released" on its
	// orchestrator-to-runner channel.
	select {
	case <-a.released:
	case <-time.After(15 * time.Second):
		return errors.New("the runner did not hear of the session's release")
	case <-ctx.Done():
		return ctx.Err()
	}
	return a.close()
}

// app is the runner: its registration and its HTTP server.
type app struct {
	r        *runner.Runner
	srv      *http.Server
	served   chan struct{}
	released chan struct{} // closed when the first session ends
	out      io.Writer
	once     sync.Once
	err      error
}

// startApp serves the filter app and registers it.
func startApp(ctx context.Context, o options, out io.Writer) (*app, error) {
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, err
	}
	if o.url == "" {
		o.url = "http://" + ln.Addr().String()
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level, ReplaceAttr: dropTime}))
	a := &app{served: make(chan struct{}), released: make(chan struct{}), out: out}
	var releasedOnce sync.Once
	a.r, err = runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: o.orch, Secret: o.secret}},
		Registration: runner.Registration{URL: o.url, App: o.app, Version: "1.0", Capacity: o.capacity,
			Price: &runner.Price{USD: o.price, Unit: runner.PerHour}, Metadata: `{"effects":["negate","hue","none"]}`},
		OnSession: func(s *runner.Session) {
			fmt.Fprintf(out, "session %s reserved\n", s.ID())
			<-s.Context().Done()
			if _, why := s.Ended(); why != "released" {
				fmt.Fprintf(out, "session %s ended: %s\n", s.ID(), why)
			}
			fmt.Fprintf(out, "session %s released\n", s.ID())
			releasedOnce.Do(func() { close(a.released) })
		},
		Logger: log,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /scope", runner.Video(runner.PerSegment(filterSegment)))
	a.srv = &http.Server{Handler: a.r.Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(a.served)
		_ = a.srv.Serve(ln)
	}()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.r.Start(rctx); err != nil {
		_ = a.close()
		return nil, fmt.Errorf("register with %s: %w", o.orch, err)
	}
	st := a.r.Status()[0]
	fmt.Fprintf(out, "registered with %s as %s (app %s, heartbeat every %v)\n", st.URL, st.RunnerID, o.app, st.Interval)
	return a, nil
}

// close unregisters (runner.Close ends the sessions and waits for them),
// then stops the server. Idempotent.
func (a *app) close() error {
	a.once.Do(func() {
		a.err = a.r.Close()
		if a.err == nil {
			fmt.Fprintln(a.out, "unregistered")
		}
		_ = a.srv.Close()
		<-a.served
	})
	return a.err
}

// filterSegment filters one MPEG-TS segment with ffmpeg, by the session's
// current parameters ("effect": "negate" (default), "hue" with "hue"
// degrees, or "none").
func filterSegment(ctx context.Context, params map[string]any, in io.Reader, out io.Writer) error {
	vf, err := videoFilter(params)
	if err != nil {
		return err
	}
	p, err := media.StartFilter(ctx, media.FilterOptions{Video: vf, DropAudio: true})
	if err != nil {
		return err
	}
	defer p.Close()
	fed := make(chan error, 1)
	go func() {
		_, err := io.Copy(p, in)
		fed <- errors.Join(err, p.CloseWrite())
	}()
	_, cerr := io.Copy(out, p)
	return errors.Join(cerr, <-fed, p.Wait())
}

// videoFilter builds the ffmpeg filter from validated parameters only.
func videoFilter(params map[string]any) (string, error) {
	switch effect, _ := params["effect"].(string); effect {
	case "", "negate":
		return "negate", nil
	case "none":
		return "", nil
	case "hue":
		deg, ok := params["hue"].(float64)
		if !ok {
			deg = 90
		}
		if deg < -360 || deg > 360 {
			return "", fmt.Errorf("hue %v is not in [-360, 360]", deg)
		}
		return fmt.Sprintf("hue=h=%g", deg), nil
	default:
		return "", fmt.Errorf("unknown effect %q (negate, hue or none)", effect)
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// client plays the client on the in-process network: a session on the
// app (Live on "runner/<app>"), a test pattern in, the filtered video out
// to o.output, the effect changed half way, then stop.
func client(ctx context.Context, n *livepeertest.Network, o options, out io.Writer) error {
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	if err != nil {
		return err
	}
	defer gw.Close()
	sess, err := gw.Live(ctx, livepeer.RunnerPrefix+o.app, map[string]any{"effect": "negate"})
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer sess.Close()
	fmt.Fprintf(out, "client: session %s started (negate)\n", sess.Info().ManifestID)
	f, err := os.Create(o.output)
	if err != nil {
		return err
	}
	defer f.Close()
	cw := media.NewContinuousWriter(f, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- media.WriteSegments(ctx, cw, sess.Subscribe(ctx)) }()
	inDone := make(chan error, 1)
	go func() { inDone <- publish(ctx, sess, o.duration) }()
	select {
	case <-time.After(o.duration / 2):
		if err := sess.Control(ctx, map[string]any{"effect": "hue", "hue": 120}); err != nil {
			return fmt.Errorf("client: control message: %w", err)
		}
		fmt.Fprintln(out, "client: effect changed to hue 120°")
	case err := <-inDone:
		return fmt.Errorf("client: the input ended early: %w", err)
	}
	if err := <-inDone; err != nil {
		return fmt.Errorf("client: %w", err)
	}
	select {
	case err = <-outDone:
	case <-time.After(30 * time.Second):
		err = errors.New("the output did not end 30 s after the input")
	}
	if err != nil {
		return fmt.Errorf("client: output: %w", err)
	}
	_, st := cw.Stats()
	fmt.Fprintf(out, "client: wrote %d filtered frames to %s\n", st.VideoFrames, o.output)
	if err := sess.Close(); err != nil {
		return err
	}
	fmt.Fprintln(out, "client: session stopped")
	return sess.Err()
}

// publish sends a real-time test pattern for d, then ends the input.
func publish(ctx context.Context, sess *livepeer.LiveSession, d time.Duration) error {
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 320, Height: 180, Duration: d,
		Realtime: true, Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := media.Resegment(ctx, src, media.SinkOf(sess.NextSegment), media.ResegmentOptions{}); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	return sess.EndInput(ctx)
}
