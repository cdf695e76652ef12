// Command camera sends a V4L2 camera (or a media file) through a
// live-video-to-video session and writes the processed video to a .ts file
// or to stdout, for a player:
//
//	go run ./examples/camera -o out.ts                       # /dev/video0, in-process network
//	go run ./examples/camera -o - | ffplay -                 # watch it live
//	go run ./examples/camera -file in.mp4 -o out.ts          # a file, paced in real time
//	go run ./examples/camera -token "$LIVEPEER_TOKEN" -capability live-video-to-video/streamdiffusion -params '{"prompt":"a cat"}' -o - | ffplay -
//
// The camera is captured by ffmpeg (-device, default /dev/video0); when that
// device does not exist and no -file is given, an ffmpeg test pattern is
// sent instead, and the command says so. Capture runs until Ctrl-C (or -duration);
// the input is then ended, the rest of the output is written, and it exits 0.
//
// With no orchestrator source (no -token, -signer, -discovery or address
// arguments) it starts the SDK's in-process Livepeer network (livepeertest),
// whose "streamdiffusion" model really processes the video with ffmpeg. It
// needs ffmpeg in PATH and exits non-zero with a one-line error on failure.
// Progress goes to stderr, every second while the input runs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/internal/exampleutil"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "camera:", err)
		os.Exit(1)
	}
}

// defaultPatternDuration is how long the test-pattern fallback runs when
// -duration is not given.
const defaultPatternDuration = 10 * time.Second

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, flags := exampleutil.NewFlagSet("camera", "[orchestrator-address ...]",
		"Sends a V4L2 camera (or a media file, or a test pattern when there is no\ncamera) through a live-video-to-video session and writes the processed\nvideo to an MPEG-TS file or to stdout.", stderr)
	capability := fs.String("capability", "live-video-to-video/streamdiffusion", "live-video-to-video capability (pipeline/model)")
	params := fs.String("params", "", "initial pipeline parameters (JSON object)")
	device := fs.String("device", "/dev/video0", "V4L2 camera device")
	file := fs.String("file", "", "media file to send instead of the camera (paced in real time)")
	output := fs.String("o", "out.ts", `output MPEG-TS file, or "-" for stdout`)
	dur := fs.Duration("duration", 0, "stop the input after this long (0: camera until Ctrl-C, file to its end, test pattern 10s)")
	size := fs.String("size", "", "capture (or test pattern) size WxH; empty: the device default (test pattern 320x180)")
	fps := fs.Int("fps", 0, "capture frame rate; 0: the device default (test pattern 30)")
	if err := flags.Parse(args); err != nil {
		if exampleutil.IsHelp(err) {
			return nil
		}
		return err
	}
	var w, h int
	if *size != "" {
		if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
			return fmt.Errorf("bad -size %q (want WxH)", *size)
		}
	}
	if *fps < 0 || *dur < 0 {
		return errors.New("-fps and -duration must not be negative")
	}
	var p map[string]any
	if *params != "" {
		if err := json.Unmarshal([]byte(*params), &p); err != nil || p == nil {
			return fmt.Errorf("-params must be a JSON object: %q", *params)
		}
	}
	msgs, result := stderr, stdout
	var video io.Writer
	if *output == "-" {
		video, result = stdout, stderr
	} else {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		video = f
	}

	// -timeout bounds everything; Ctrl-C stops the input only (the output
	// is then drained); a second Ctrl-C kills the process.
	ctx, cancel := flags.Bound(ctx)
	defer cancel()
	srcCtx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	context.AfterFunc(srcCtx, stop)

	fmt.Fprintln(msgs, "starting the session…")
	env, err := flags.Gateway(livepeer.Config{}, exampleutil.InProcess{Network: livepeertest.NetworkConfig{Orchestrators: 1}}, msgs)
	if err != nil {
		return err
	}
	defer env.Close()

	sess, err := env.Gateway.Live(ctx, *capability, p)
	if err != nil {
		return err
	}
	defer sess.Close()
	fmt.Fprintf(msgs, "session %s on %s\n", sess.Info().ManifestID, sess.Info().Orchestrator)

	cw := media.NewContinuousWriter(video, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- media.WriteSegments(ctx, cw, sess.Subscribe(ctx)) }()

	useCamera := false
	if *file != "" {
		if _, err := os.Stat(*file); err != nil {
			return fmt.Errorf("-file: %w", err)
		}
	} else if _, err := os.Stat(*device); err == nil {
		useCamera = true
	}
	if *dur > 0 && (*file != "" || useCamera) { // the test pattern stops by itself
		var cancel context.CancelFunc
		srcCtx, cancel = context.WithTimeout(srcCtx, *dur)
		defer cancel()
	}
	src, err := startSource(srcCtx, msgs, *file, *device, useCamera, w, h, *fps, *dur)
	if err != nil {
		return err
	}
	defer src.Close()
	var sent atomic.Int64
	stopProgress := exampleutil.Progress(msgs, time.Second, func() string {
		return fmt.Sprintf("sending… %d segments so far", sent.Load())
	})
	_, perr := media.Resegment(srcCtx, src, media.SinkOf(func(ctx context.Context) (io.WriteCloser, error) {
		sent.Add(1)
		return sess.NextSegment(ctx)
	}), media.ResegmentOptions{})
	stopProgress()
	if srcCtx.Err() == nil {
		if perr == nil {
			<-src.Done() // stdout ended: ffmpeg is exiting
		}
		select {
		case <-src.Done():
			if werr := src.Wait(); werr != nil {
				return fmt.Errorf("input: %w", werr)
			}
		default:
		}
		if perr != nil {
			return fmt.Errorf("publish: %w", perr)
		}
	}
	src.Close()
	// End the input: the orchestrator flushes the pipeline and closes the output.
	if err := sess.EndInput(ctx); err != nil {
		return err
	}
	select {
	case err = <-outDone:
	case <-time.After(15 * time.Second):
		err = errors.New("output did not end 15 s after the input")
	}
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	_, st := cw.Stats()
	fmt.Fprintf(result, "wrote %d frames to %s\n", st.VideoFrames, *output)
	if err := sess.Close(); err != nil {
		return err
	}
	return sess.Err()
}

// startSource starts ffmpeg on the file, else the camera, else (no such
// device) a test pattern.
func startSource(ctx context.Context, msgs io.Writer, file, device string, useCamera bool, w, h, fps int, dur time.Duration) (*media.Process, error) {
	enc := media.EncodeOptions{KeyframeInterval: time.Second}
	switch {
	case file != "":
		fmt.Fprintf(msgs, "sending %s\n", file)
		return media.StartFile(ctx, file, media.FileOptions{Realtime: true, FPS: fps, Encode: enc})
	case useCamera:
		fmt.Fprintf(msgs, "capturing %s (Ctrl-C to stop)\n", device)
		return media.StartCamera(ctx, device, media.CameraOptions{Width: w, Height: h, FPS: fps, Encode: enc})
	}
	if w == 0 {
		w, h = 320, 180
	}
	if dur == 0 {
		dur = defaultPatternDuration
	}
	fmt.Fprintf(msgs, "no camera at %s and no -file: sending a %dx%d test pattern for %s instead\n", device, w, h, dur)
	return media.StartTestPattern(ctx, media.TestPatternOptions{Width: w, Height: h, FPS: fps, Duration: dur, Realtime: true, Encode: enc})
}
