package livepeer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func liveNeedFFmpeg(t *testing.T) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skip(b + " not in PATH")
		}
	}
}

// liveNetwork starts an in-process network with fast debits and returns a
// Gateway on it.
func liveNetwork(t *testing.T, cfg livepeertest.NetworkConfig) (*livepeertest.Network, *livepeer.Gateway) {
	t.Helper()
	if cfg.Live.DebitInterval == 0 {
		cfg.Live.DebitInterval = time.Second
	}
	n, err := livepeertest.NewNetwork(cfg)
	require.NoError(t, err)
	t.Cleanup(n.Close)
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	return n, gw
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// collectOutput subscribes to the session's output into one continuous TS.
func collectOutput(ctx context.Context, sess *livepeer.LiveSession, out io.Writer) (wait func() error) {
	cw := media.NewContinuousWriter(out, media.ContinuousOptions{})
	done := make(chan error, 1)
	go func() {
		var err error
		for seg, serr := range sess.Subscribe(ctx) {
			if serr != nil {
				err = serr
				break
			}
			if werr := cw.WriteSegment(ctx, seg); werr != nil {
				err = werr
				break
			}
		}
		_ = cw.Close()
		done <- err
	}()
	return func() error { return <-done }
}

func TestLiveLV2VEndToEnd(t *testing.T) {
	liveNeedFFmpeg(t)
	before := runtime.NumGoroutine()
	n, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	model := "live-video-to-video/streamdiffusion"
	if m := os.Getenv("LIVE_MODEL"); m != "" {
		model = m
	}
	sess, err := gw.Live(ctx, model, map[string]any{"effect": "negate"},
		livepeer.WithPaymentInterval(time.Second), livepeer.WithKeepaliveInterval(time.Second))
	require.NoError(t, err)
	info := sess.Info()
	require.NotEmpty(t, info.ManifestID)
	live := n.Live()[0]

	var out syncBuffer
	waitOut := collectOutput(ctx, sess, &out)
	var events []livepeer.LiveEvent
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		for ev, err := range sess.Events(ctx) {
			if err != nil {
				return
			}
			events = append(events, ev)
		}
	}()

	// 10 s of test pattern, paced in real time; halfway, a control message
	// turns the negation off.
	const fps, secs = 30, 10
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 320, Height: 180, FPS: fps,
		Duration: secs * time.Second, Realtime: true, Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	require.NoError(t, err)
	defer src.Close()
	var in bytes.Buffer
	ctlDone := make(chan error, 1)
	go func() {
		select {
		case <-time.After(secs * time.Second / 2):
			ctlDone <- sess.Control(ctx, map[string]any{"effect": "none"})
		case <-ctx.Done():
			ctlDone <- ctx.Err()
		}
	}()
	_, err = media.Resegment(ctx, io.TeeReader(src, &in), media.SinkOf(sess.NextSegment), media.ResegmentOptions{})
	require.NoError(t, err)
	require.NoError(t, <-ctlDone)

	sent := fps * secs
	require.NoError(t, sess.EndInput(ctx))
	require.NoError(t, waitOut(), "output ends cleanly after the input")

	st, ok := live.Stream(info.ManifestID)
	require.True(t, ok)
	assert.Greater(t, st.Debits, 0, "the orchestrator charged the stream")
	assert.Greater(t, n.Orchestrators()[0].PaymentsReceived(), 1, "payments flowed on a timer")
	assert.Equal(t, 1, st.Control, "one control message (keepalives excluded)")

	select {
	case <-sess.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end after its input")
	}
	require.NoError(t, sess.Err())
	require.NoError(t, sess.Close())
	<-evDone
	require.Eventually(t, func() bool { s, _ := live.Stream(info.ManifestID); return !s.Running }, 5*time.Second, 20*time.Millisecond)
	st, _ = live.Stream(info.ManifestID)
	assert.Equal(t, livepeertest.EndInputClosed, st.EndReason, "the orchestrator saw the input channel go away")

	// Frame count by ffprobe, within 5 % of what was sent.
	probe, err := media.FFprobe(ctx, "", bytes.NewReader(out.Bytes()), media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, probe.Video())
	assert.Equal(t, "h264", probe.Video().CodecName)
	assert.InDelta(t, sent, probe.Video().Frames, float64(sent)*0.05)

	// The transform is visible in the pixels: negated at first, unchanged at the end.
	inFrames, err := livepeertest.GrayFrames(ctx, in.Bytes(), 32, 18)
	require.NoError(t, err)
	outFrames, err := livepeertest.GrayFrames(ctx, out.Bytes(), 32, 18)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(outFrames), sent*95/100)
	assert.Less(t, livepeertest.Correlation(inFrames[30], outFrames[30]), -0.8, "negated before the control message")
	last := min(len(inFrames), len(outFrames)) - 10
	assert.Greater(t, livepeertest.Correlation(inFrames[last], outFrames[last]), 0.8, "unchanged after it")

	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	assert.Contains(t, types, "status")
	assert.Contains(t, types, "params_update")

	n.Close()
	_ = gw.Close()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 }, 5*time.Second, 20*time.Millisecond,
		"goroutines: %d before, %d after", before, runtime.NumGoroutine())
}

func TestLiveFailoverWhenStartRefused(t *testing.T) {
	n, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 2})
	for _, o := range n.Orchestrators() {
		o.FailHTTP("/live-video-to-video", 1, 503)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Both refuse once: the first candidate refuses, the second refuses,
	// so the start fails with every refusal listed.
	_, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	require.ErrorIs(t, err, livepeer.ErrNoOrchestrator)
	var noe *livepeer.NoOrchestratorError
	require.ErrorAs(t, err, &noe)
	assert.Len(t, noe.Rejections, 2)
	assert.ErrorIs(t, err, livepeer.ErrOrchestratorUnavailable)

	// Now one orchestrator refuses every start: the session starts on the other.
	n.Orchestrators()[0].FailHTTP("/live-video-to-video", 100, 503)
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	require.NoError(t, err)
	defer sess.Close()
	assert.Equal(t, n.Orchestrators()[1].URL(), sess.Info().Orchestrator)

	// Passthrough round trip.
	seg := bytes.Repeat([]byte("x"), 1000)
	got := make(chan []byte, 1)
	go func() {
		for s, err := range sess.Subscribe(ctx) {
			if err != nil {
				got <- nil
				return
			}
			b, _ := io.ReadAll(s)
			got <- b
			return
		}
	}()
	require.NoError(t, sess.Publish(ctx, bytes.NewReader(seg)))
	assert.Equal(t, seg, <-got)
}

func TestLiveOrchestratorDiesMidStream(t *testing.T) {
	before := runtime.NumGoroutine()
	n, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil, livepeer.WithPaymentInterval(500*time.Millisecond))
	require.NoError(t, err)
	require.NoError(t, sess.Publish(ctx, bytes.NewReader([]byte("hello"))))

	n.Live()[0].Close()
	n.Orchestrators()[0].Close()
	select {
	case <-sess.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end after its orchestrator died")
	}
	err = sess.Err()
	require.Error(t, err)
	assert.True(t, errors.Is(err, livepeer.ErrOrchestratorUnavailable) || errors.Is(err, livepeer.ErrSessionEnded), "%v", err)
	assert.Error(t, sess.Publish(ctx, bytes.NewReader([]byte("x"))), "publishing after the end fails at once")
	require.NoError(t, sess.Close())
	n.Close()
	_ = gw.Close()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 }, 5*time.Second, 20*time.Millisecond,
		"goroutines: %d before, %d after", before, runtime.NumGoroutine())
}

func TestLiveBalanceRunsOut(t *testing.T) {
	// 11000 wei/pixel is about 0.3 ticket (1e12 wei) per second of LV2V billing
	// (1280×720×30 pixels/s); the start preloads 60 s (19 tickets). The budget covers
	// the start and one more ticket (about 3 s).
	n, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1, SignerBalance: bigWei("20000000000000"),
		Capabilities: []livepeertest.CapabilitySpec{{Name: "live-video-to-video/noop", PricePerUnit: 11000, PixelsPerUnit: 1}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil, livepeer.WithPaymentInterval(500*time.Millisecond))
	require.NoError(t, err)
	defer sess.Close()
	start := time.Now()
	select {
	case <-sess.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("session did not end when the balance ran out")
	}
	require.ErrorIs(t, sess.Err(), livepeer.ErrInsufficientBalance)
	assert.Less(t, time.Since(start), 10*time.Second, "surfaced promptly")
	// The orchestrator is told: the stream's channels are gone.
	require.Eventually(t, func() bool {
		st, _ := n.Live()[0].Stream(sess.Info().ManifestID)
		return !st.Running
	}, 5*time.Second, 20*time.Millisecond)
}

func TestLiveCancelContextEndsSession(t *testing.T) {
	_, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1, Offchain: true})
	ctx, cancel := context.WithCancel(context.Background())
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	require.NoError(t, err)
	cancel()
	select {
	case <-sess.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling ctx did not end the session")
	}
	require.ErrorIs(t, sess.Err(), context.Canceled)
	require.NoError(t, sess.Close())
	require.NoError(t, sess.Close(), "idempotent")
	assert.ErrorIs(t, sess.Control(context.Background(), map[string]any{"a": 1}), context.Canceled)
}

func TestLiveBadArguments(t *testing.T) {
	_, gw := liveNetwork(t, livepeertest.NetworkConfig{Orchestrators: 1, Offchain: true})
	ctx := context.Background()
	_, err := gw.Live(ctx, "live-video-to-video", nil)
	require.ErrorIs(t, err, livepeer.ErrInvalidConfig)
	_, err = gw.Live(ctx, "text-to-image/sd", nil)
	require.ErrorIs(t, err, livepeer.ErrInvalidConfig)
	_, err = gw.Live(ctx, "", nil)
	require.ErrorIs(t, err, livepeer.ErrInvalidCapability)
	_, err = gw.Live(ctx, "live-video-to-video/unknown-model", nil)
	require.ErrorIs(t, err, livepeer.ErrNoOrchestrator)
}

func bigWei(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}
