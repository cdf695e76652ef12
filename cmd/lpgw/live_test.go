package main

import (
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/media"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not in PATH")
	}
}

var progressLine = regexp.MustCompile(`(?m)^\d\d:\d\d  in (\d+) seg  out (\d+) seg  latency (\S+)  ([\d.]+) fps  spent .+ \(\d+ payments?\)$`)

// The example: 5 s of test pattern through the passthrough into an
// H.264 file ffprobe reads (≥ 100 frames), with the progress line shown.
func TestLiveTestPatternToFile(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	out := filepath.Join(t.TempDir(), "out.ts")
	r := runCLI(t, ctx, "", "live", "live-video-to-video/noop", "--in", "testsrc", "--duration", "5s", "--out", out, "--progress-every", "1s")
	require.NoError(t, r.err, r.stderr)
	info, err := media.FFprobe(ctx, out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	require.Equal(t, "h264", info.Video().CodecName)
	require.GreaterOrEqual(t, info.Video().Frames, 100)
	lines := progressLine.FindAllStringSubmatch(r.stderr, -1)
	require.GreaterOrEqual(t, len(lines), 2, "progress lines while it runs and at the end:\n%s", r.stderr)
	final := lines[len(lines)-1]
	require.NotEqual(t, "0", final[2], "output segments counted")
	require.NotEqual(t, "-", final[3], "a publish→output latency")
	require.Regexp(t, `wrote \d+ frames to `+regexp.QuoteMeta(out), r.stderr)
}

// --out - writes the MPEG-TS stream to stdout (for ffplay -); the
// messages stay on stderr.
func TestLiveToStdout(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	r := runCLI(t, ctx, "", "live", "live-video-to-video/noop", "--duration", "2s", "--out", "-")
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, byte(0x47), r.stdout[0], "MPEG-TS sync byte")
	info, err := media.FFprobe(ctx, "", strings.NewReader(r.stdout), media.FFprobeOptions{})
	require.NoError(t, err)
	require.Equal(t, "h264", info.Video().CodecName)
	require.GreaterOrEqual(t, info.Video().Frames, 40)
}

// Parameters: --param k=v (JSON values) start the stream; lines typed on
// stdin change them, each sent as the full set; a bad line is reported
// and skipped.
func TestLiveParameters(t *testing.T) {
	needFFmpeg(t)
	ctx := testCtx(t)
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1})
	require.NoError(t, err)
	defer d.Close()
	stdin := "prompt=ocean waves\n{\"bad\n\n{\"effect\":\"hue\",\"hue\":90}\n"
	r := runCLI(t, ctx, stdin, "live", "live-video-to-video/streamdiffusion", "--token", d.net.Token(),
		"--param", "prompt=a sunset", "--param", "strength=0.5", "--param", `extra={"a":[1,2]}`,
		"--duration", "3s", "--out", filepath.Join(t.TempDir(), "sd.ts"))
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stderr, `lpgw: parameters now {"extra":{"a":[1,2]},"prompt":"ocean waves","strength":0.5}`)
	require.Contains(t, r.stderr, `lpgw: parameters now {"effect":"hue","extra":{"a":[1,2]},"hue":90,"prompt":"ocean waves","strength":0.5}`)
	require.Contains(t, r.stderr, `lpgw: ignored "{\"bad"`)
	streams := d.net.Live()[0].Streams()
	require.Len(t, streams, 1)
	s := streams[0]
	require.Equal(t, "streamdiffusion", s.Model)
	require.Equal(t, map[string]any{"prompt": "a sunset", "strength": 0.5, "extra": map[string]any{"a": []any{1.0, 2.0}}}, s.Params)
	// The orchestrator records the stream's end on its own time, after the
	// client saw the output end.
	require.Eventually(t, func() bool {
		s, _ = d.net.Live()[0].Stream(s.ID)
		return !s.Running
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, 2, s.Control, "two parameter changes reached the pipeline")
	require.Equal(t, "input closed", s.EndReason)
}

// The spend meter counts exactly what the signer committed.
func TestSpendMeterMatchesSigner(t *testing.T) {
	ctx := testCtx(t)
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1})
	require.NoError(t, err)
	defer d.Close()
	c := &cli{stdout: &syncBuffer{}, stderr: &syncBuffer{}, lookupEnv: func(string) (string, bool) { return "", false }}
	env, err := c.open(ctx, &netFlags{token: d.net.Token()}, nil)
	require.NoError(t, err)
	defer env.Close()
	for range 3 {
		_, err := env.gw.Run(ctx, "text-reversal", json.RawMessage(`{"text":"x"}`))
		require.NoError(t, err)
	}
	spent, n := env.spend.Spent()
	require.Positive(t, n)
	require.Equal(t, d.net.Signer().Spent().String(), new(big.Int).Quo(spent.Num(), spent.Denom()).String())
}

func TestLiveMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := newLiveMeter(t0, newSpendMeter(nil))
	require.Equal(t, "00:00  in 0 seg  out 0 seg  latency -  0.0 fps  spent 0 wei (0 payments)", m.stats(t0).String())
	m.segmentIn(t0)
	m.segmentIn(t0.Add(time.Second))
	m.segmentOut(0, t0.Add(300*time.Millisecond))
	m.outputFrames(30, t0.Add(1300*time.Millisecond))
	m.segmentOut(1, t0.Add(1200*time.Millisecond))
	m.segmentOut(7, t0.Add(1300*time.Millisecond)) // no such input: latency kept
	m.outputFrames(60, t0.Add(2300*time.Millisecond))
	st := m.stats(t0.Add(65 * time.Second))
	require.Equal(t, 2, st.SegmentsIn)
	require.Equal(t, 3, st.SegmentsOut)
	require.Equal(t, 200*time.Millisecond, st.Latency)
	require.InDelta(t, 30.0, st.OutputFPS, 0.01)
	require.Equal(t, "01:05  in 2 seg  out 3 seg  latency 200ms  30.0 fps  spent 0 wei (0 payments)", st.String())
	// Old samples leave the window.
	for i := 3; i < 10; i++ {
		m.outputFrames(30*i, t0.Add(time.Duration(i)*time.Second+300*time.Millisecond))
	}
	m.outputFrames(30*9+15, t0.Add(10*time.Second+300*time.Millisecond)) // slowed to 15 fps
	require.Less(t, m.stats(t0.Add(11*time.Second)).OutputFPS, 30.0)
	require.LessOrEqual(t, len(m.frames), 5)
}

func TestProgressDisplay(t *testing.T) {
	m := newLiveMeter(time.Now(), newSpendMeter(nil))
	var tty, plain syncBuffer
	stop := progress(&tty, true, time.Hour, m)
	time.Sleep(600 * time.Millisecond) // a terminal is redrawn every 250 ms
	stop()
	stop()
	require.Contains(t, tty.String(), "\r\033[K00:00  in 0 seg")
	require.True(t, strings.HasSuffix(tty.String(), "\n"), "the final line ends the redrawn one")
	stop = progress(&plain, false, time.Hour, m)
	stop()
	require.Equal(t, 1, strings.Count(plain.String(), "\n"), "without a terminal: one line per interval, and the final one")
	require.NotContains(t, plain.String(), "\r")
}

func TestParseParam(t *testing.T) {
	for _, c := range []struct {
		in   string
		k    string
		v    any
		fail bool
	}{
		{in: "prompt=a cat", k: "prompt", v: "a cat"},
		{in: "strength=0.5", k: "strength", v: json.Number("0.5")},
		{in: "on=true", k: "on", v: true},
		{in: `q="42"`, k: "q", v: "42"},
		{in: `o={"a":1}`, k: "o", v: map[string]any{"a": json.Number("1")}},
		{in: "e=", k: "e", v: ""},
		{in: "x=1 2", k: "x", v: "1 2"},
		{in: "novalue", fail: true},
		{in: "=v", fail: true},
	} {
		k, v, err := parseParam(c.in)
		if c.fail {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.k, k, c.in)
		require.Equal(t, c.v, v, c.in)
	}
	m, err := parseParamLine(` {"prompt":"a dog","t":1} `)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"prompt": "a dog", "t": json.Number("1")}, m)
	_, err = parseParamLine(`{"a":1} {"b":2}`)
	require.Error(t, err)
	_, err = parseParamLine(`[1]`)
	require.Error(t, err)
}

func TestFormatWei(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0 wei", "999": "999 wei", "1000000000": "1.0 gwei", "1500000000000": "1500.0 gwei",
		"2000000000000000": "0.002000 ETH", "1000000000000000000": "1.000000 ETH",
	} {
		r, _ := new(big.Rat).SetString(in)
		require.Equal(t, want, formatWei(r), in)
	}
}

// Ctrl-C (the command's context ending) stops the input only: the output
// of what was sent is written, and the command succeeds.
func TestLiveInterruptDrains(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"live", "live-video-to-video/noop", "--out", out, "--progress-every", "200ms"}, strings.NewReader(""), &stdout, &stderr)
	}()
	require.Eventually(t, func() bool {
		m := progressLine.FindAllStringSubmatch(stderr.String(), -1)
		if len(m) == 0 {
			return false
		}
		n, _ := strconv.Atoi(m[len(m)-1][2])
		return n >= 2
	}, time.Minute, 50*time.Millisecond, "output segments arrive: %s", stderr.String())
	cancel() // as SIGINT does
	select {
	case err := <-done:
		require.NoError(t, err, stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("live did not end after the interrupt")
	}
	info, err := media.FFprobe(context.Background(), out, nil, media.FFprobeOptions{})
	require.NoError(t, err)
	// The first segment was complete when the second began: its 30 frames
	// at least, and whatever of the second was sent before the interrupt.
	require.GreaterOrEqual(t, info.Video().Frames, 30)
	require.Contains(t, stderr.String(), "wrote ")
}
