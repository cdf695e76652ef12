package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/media"
)

const liveAbout = `Sends live video through CAPABILITY (live-video-to-video/MODEL, or
byoc/NAME for a BYOC stream) and writes the processed video as one playable
MPEG-TS stream: to a file, or with --out - to stdout for a player:

  lpgw live live-video-to-video/noop --in testsrc --duration 5s --out out.ts
  lpgw live live-video-to-video/streamdiffusion --param prompt='a sunset' --out - | ffplay -

--in is a test pattern (testsrc, smptebars), a V4L2 camera (/dev/video0) or
a media file, sent in real time with a keyframe every second. Parameters:
--params '{JSON}' and --param k=v (repeatable; v is JSON when it parses,
else text). While it runs, type a parameter change on stdin, one k=v or
JSON object per line: it is merged into the parameters and the full set
is sent (a control message on live-video-to-video, an update on BYOC).

stderr shows one progress line: elapsed time, segments in and out,
publish→output latency of the latest segment, output frames per second and
what the signer has paid so far (redrawn on a terminal, else a line every
--progress-every). Ctrl-C (or --duration) ends the input; the rest of the
output is written and lpgw exits 0. A second Ctrl-C quits at once.`

// drainTimeout bounds the wait for the output after the input ended.
const drainTimeout = 30 * time.Second

func (c *cli) live(ctx context.Context, args []string) error {
	fs := c.newFlagSet("live", "CAPABILITY [flags]", liveAbout)
	var nf netFlags
	nf.register(fs)
	in := fs.String("in", "testsrc", "input: testsrc, smptebars, a /dev/video* camera or a media `file`")
	out := fs.String("out", "out.ts", "output MPEG-TS `file`, or - for stdout (| ffplay -)")
	paramsJSON := fs.String("params", "", "initial parameters as a JSON `object`")
	var params paramFlag
	fs.Var(&params, "param", "an initial parameter `k=v` (repeatable); v is JSON when it parses, else text")
	duration := fs.Duration("duration", 0, "end the input after this long (0: test pattern and camera until Ctrl-C, a file to its end)")
	size := fs.String("size", "", "input size `WxH` (test pattern default 320x180, camera its default)")
	fps := fs.Int("fps", 0, "input frame rate (default: test pattern 30, camera and file their own)")
	every := fs.Duration("progress-every", 5*time.Second, "without a terminal on stderr, print the progress line this often")
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	bad := func(format string, a ...any) error { return &usageError{cmd: "live", msg: fmt.Sprintf(format, a...)} }
	if len(pos) != 1 {
		return bad("want one CAPABILITY, got %d argument(s)", len(pos))
	}
	capability := pos[0]
	if _, err := discovery.ParseCapability(capability); err != nil {
		return err // before anything starts
	}
	if *duration < 0 || *every <= 0 {
		return bad("--duration must not be negative and --progress-every must be positive")
	}
	p, err := initialParams(*paramsJSON, params)
	if err != nil {
		return err
	}
	src, err := parseSource(*in, *size, *fps)
	if err != nil {
		return bad("%v", err)
	}
	if *out == "-" && isTerminal(c.stdout) {
		return bad("--out - would write video to the terminal: pipe it to a player (| ffplay -) or give a file")
	}

	// Ctrl-C (ctx) and --duration end the input only; the session lives on
	// (bounded by --timeout) until its output is written.
	sessCtx, cancel := nf.bound(context.WithoutCancel(ctx))
	defer cancel()
	srcCtx, cancelSrc := context.WithCancel(ctx)
	defer cancelSrc()
	context.AfterFunc(sessCtx, cancelSrc)
	if *duration > 0 && src.kind != "pattern" { // a pattern stops by itself, after its last frame
		var c context.CancelFunc
		srcCtx, c = context.WithTimeout(srcCtx, *duration)
		defer c()
	}

	env, err := c.open(sessCtx, &nf, nil)
	if err != nil {
		return finish(sessCtx, err)
	}
	defer env.Close()
	fmt.Fprintf(c.stderr, "lpgw: starting %s on the %s…\n", capability, env.source)
	sess, err := env.gw.Live(sessCtx, capability, nilIfEmpty(p))
	if err != nil {
		return finish(sessCtx, err)
	}
	defer sess.Close()
	li := sess.Info()
	w, closeOut, err := openOutput(*out, c.stdout)
	if err != nil {
		return err
	}
	defer closeOut()
	fmt.Fprintf(c.stderr, "lpgw: session %s on %s: sending %s, writing %s\n", li.ManifestID, li.Orchestrator, src, outputName(*out))
	if f, ok := c.stdin.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		fmt.Fprintln(c.stderr, "lpgw: type k=v or a JSON object and Enter to change parameters; Ctrl-C ends the input")
	}

	meter := newLiveMeter(time.Now(), env.spend)
	cw := media.NewContinuousWriter(w, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- writeOutput(sessCtx, sess, cw, meter) }()

	tty, brk := isTerminal(c.stderr), ""
	if tty {
		brk = "\n" // below the progress line being redrawn
	}
	updCtx, stopUpdates := context.WithCancel(sessCtx)
	var updates sync.WaitGroup
	updates.Go(func() {
		paramUpdates(updCtx, c.stdin, p, func(ctx context.Context, next map[string]any) error { return sess.Update(ctx, next) }, c.stderr, brk)
	})
	defer func() { stopUpdates(); updates.Wait() }()

	stopProgress := progress(c.stderr, tty, *every, meter)
	defer stopProgress()
	if err := publish(srcCtx, src, *duration, sess, meter); err != nil {
		if cause := sess.Err(); cause != nil {
			return finish(sessCtx, cause)
		}
		return finish(sessCtx, err)
	}
	// End the input: the orchestrator flushes the pipeline and closes the output.
	if err := sess.EndInput(sessCtx); err != nil {
		if cause := sess.Err(); cause != nil {
			return finish(sessCtx, cause)
		}
		return finish(sessCtx, err)
	}
	var oerr error
	select {
	case oerr = <-outDone:
	case <-time.After(drainTimeout):
		oerr = fmt.Errorf("the output did not end %s after the input", drainTimeout)
	}
	stopProgress()
	_, st := cw.Stats()
	spent, _ := env.spend.Spent()
	fmt.Fprintf(c.stderr, "lpgw: wrote %d frames to %s; spent %s\n", st.VideoFrames, outputName(*out), formatWei(spent))
	if oerr != nil {
		return finish(sessCtx, fmt.Errorf("output: %w", oerr))
	}
	if err := sess.Close(); err != nil {
		return err
	}
	return finish(sessCtx, sess.Err())
}

// initialParams merges --params and the --param flags.
func initialParams(obj string, kvs paramFlag) (map[string]any, error) {
	p := map[string]any{}
	if obj != "" {
		dec := json.NewDecoder(strings.NewReader(obj))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil || p == nil || dec.More() {
			return nil, &inputError{what: "--params", err: fmt.Errorf("want one JSON object, got %q", obj)}
		}
	}
	for _, kv := range kvs {
		k, v, err := parseParam(kv)
		if err != nil {
			return nil, &inputError{what: "--param", err: err}
		}
		p[k] = v
	}
	return p, nil
}

func nilIfEmpty(p map[string]any) any {
	if len(p) == 0 {
		return nil
	}
	return p
}

// publish runs the source and sends it, cut into segments at keyframes,
// until it ends (nil) or srcCtx ends (nil: the input was stopped on
// purpose). Other failures are returned.
func publish(srcCtx context.Context, src sourceSpec, duration time.Duration, sess *livepeer.LiveSession, m *liveMeter) error {
	proc, err := src.start(srcCtx, duration)
	if err != nil {
		if srcCtx.Err() != nil {
			return nil
		}
		return fmt.Errorf("input %s: %w", src, err)
	}
	defer proc.Close()
	_, perr := media.Resegment(srcCtx, proc, media.SinkOf(func(ctx context.Context) (io.WriteCloser, error) {
		w, err := sess.NextSegment(ctx)
		if err == nil {
			m.segmentIn(time.Now())
		}
		return w, err
	}), media.ResegmentOptions{})
	if srcCtx.Err() != nil {
		return nil
	}
	if perr != nil {
		return fmt.Errorf("publish: %w", perr)
	}
	<-proc.Done() // its stdout ended: ffmpeg is exiting
	if werr := proc.Wait(); werr != nil {
		return fmt.Errorf("input %s: %w", src, werr)
	}
	return nil
}

// writeOutput appends every output segment to cw, recording each one's
// arrival and the frame count, until the output ends.
func writeOutput(ctx context.Context, sess *livepeer.LiveSession, cw *media.ContinuousWriter, m *liveMeter) error {
	for seg, err := range sess.Subscribe(ctx) {
		if err != nil {
			_ = cw.Close()
			return err
		}
		m.segmentOut(seg.Seq(), time.Now())
		werr := cw.WriteSegment(ctx, seg)
		_, st := cw.Stats()
		m.outputFrames(st.VideoFrames, time.Now())
		if werr != nil {
			_ = cw.Close()
			return werr
		}
	}
	return cw.Close()
}

// openOutput opens --out: stdout for "-", else a new file.
func openOutput(path string, stdout io.Writer) (io.Writer, func(), error) {
	if path == "-" {
		return stdout, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--out: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

func outputName(path string) string {
	if path == "-" {
		return "stdout"
	}
	return path
}

// isTerminal reports whether w is a terminal (the progress line is then
// redrawn in place).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
