package livepeer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

// Each CallOption has an effect a caller can see; an option given to a
// verb (or capability kind) it does not apply to is a *ConfigError naming
// it, never silence.

func TestOptionsApplyOnlyWhereTheyMeanSomething(t *testing.T) {
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	ctx := testCtx(t)
	mustConfigError := func(err error, field string) {
		t.Helper()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, field, ce.Field)
		require.ErrorIs(t, err, ErrInvalidConfig)
	}
	_, err := e.gw.Run(ctx, "text-reversal", nil, WithIdleTimeout(time.Second))
	mustConfigError(err, "WithIdleTimeout")
	_, err = e.gw.Run(ctx, "text-reversal", nil, WithStreamID("s"))
	mustConfigError(err, "WithStreamID")
	_, err = e.gw.Stream(ctx, "text-reversal", nil, WithMaxResponseBytes(1))
	mustConfigError(err, "WithMaxResponseBytes")
	_, err = e.gw.Live(ctx, "live-video-to-video/noop", nil, WithPath("x"))
	mustConfigError(err, "WithPath")
	_, err = e.gw.Live(ctx, "live-video-to-video/noop", nil, WithTimeout(time.Second))
	mustConfigError(err, "WithTimeout")
	_, err = e.gw.Live(ctx, "live-video-to-video/noop", nil, WithBYOCChannels(true, true, true))
	mustConfigError(err, "WithBYOCChannels")
	_, err = e.gw.Live(ctx, "byoc/text-reversal", nil, WithRequestID("r"))
	mustConfigError(err, "WithRequestID")
	// Invalid values.
	for _, c := range []struct {
		opt   CallOption
		field string
	}{
		{WithTimeout(0), "WithTimeout"}, {WithRequestID(""), "WithRequestID"}, {WithContentType("a\nb"), "WithContentType"},
		{WithPath("a?b"), "WithPath"}, {WithSigningKey(nil), "WithSigningKey"}, {WithMaxResponseBytes(0), "WithMaxResponseBytes"},
	} {
		_, err := e.gw.Run(ctx, "text-reversal", nil, c.opt)
		mustConfigError(err, c.field)
	}
	_, err = e.gw.Stream(ctx, "text-reversal", nil, WithIdleTimeout(0))
	mustConfigError(err, "WithIdleTimeout")
	_, err = e.gw.Stream(ctx, "text-reversal", nil, WithMaxEventBytes(-1))
	mustConfigError(err, "WithMaxEventBytes")
	for _, c := range []struct {
		opt   CallOption
		field string
	}{
		{WithStreamID("a/b"), "WithStreamID"}, {WithPaymentInterval(0), "WithPaymentInterval"},
		{WithKeepaliveInterval(0), "WithKeepaliveInterval"}, {WithStartTimeout(-1), "WithStartTimeout"},
	} {
		_, err := e.gw.Live(ctx, "live-video-to-video/noop", nil, c.opt)
		mustConfigError(err, c.field)
	}
	// The zero CallOption does nothing.
	res, err := e.gw.Run(ctx, "text-reversal", map[string]string{"text": "ab"}, CallOption{})
	require.NoError(t, err)
	require.Contains(t, string(res.Body), `"reversed":"ba"`)
}

func TestRunOptionsTimeoutContentTypeMaxBytes(t *testing.T) {
	checkNoLeak(t)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) }) // runs before the leak check
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		case <-time.After(20 * time.Second):
		}
	})
	rec := worker.Record(worker.TextReversal())
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, orchs: 1, workers: map[string]http.Handler{"slow": slow, "text-reversal": rec}})
	ctx := testCtx(t)

	// WithTimeout is the job's timeout_seconds: the orchestrator gives up
	// on the worker after it and reports the job failed.
	start := time.Now()
	_, err := e.gw.Run(ctx, "slow", nil, WithTimeout(time.Second))
	var je *JobError
	require.ErrorAs(t, err, &je)
	require.Less(t, time.Since(start), 15*time.Second, "the 20 s worker was cut at the job timeout")

	// WithContentType reaches the worker (go-livepeer forwards Content-Type).
	_, err = e.gw.Run(ctx, "text-reversal", []byte(`{"text":"x"}`), WithContentType("application/json; charset=utf-8"))
	require.NoError(t, err)
	require.Equal(t, "application/json; charset=utf-8", rec.Requests()[0].Header.Get("Content-Type"))

	// WithMaxResponseBytes bounds what Run reads.
	_, err = e.gw.Run(ctx, "text-reversal", map[string]string{"text": "hello"}, WithMaxResponseBytes(8))
	require.ErrorContains(t, err, "larger than 8 bytes")
}

func TestStreamMaxEventBytes(t *testing.T) {
	checkNoLeak(t)
	e := streamEnv(t, true, &worker.Streamer{})
	st, err := e.gw.Stream(testCtx(t), "stream", worker.StreamRequest{Text: strings.Repeat("long", 100), Count: ptr(3)}, WithMaxEventBytes(64))
	require.NoError(t, err)
	var last error
	for _, err := range st.Events(context.Background()) {
		if err != nil {
			last = err
			break
		}
	}
	require.ErrorContains(t, last, "WithMaxEventBytes")
}

func TestLiveOptionsRequestIDStartTimeoutChannels(t *testing.T) {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Live: livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
	require.NoError(t, err)
	t.Cleanup(n.Close)
	b := livepeertest.EnableBYOC(n.Orchestrators()[0], livepeertest.BYOCConfig{})
	t.Cleanup(func() { _ = b.Close() })
	gw := newGateway(t, Config{Token: n.Token()})
	ctx := testCtx(t)

	// WithRequestID and WithStreamID are the LV2V start's gateway_request_id and stream_id.
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil, WithRequestID("req-7"), WithStreamID("str-7"))
	require.NoError(t, err)
	st, ok := n.Live()[0].Stream(sess.Info().ManifestID)
	require.True(t, ok)
	require.Equal(t, "req-7", st.RequestID)
	require.Equal(t, "str-7", st.StreamID)
	require.NoError(t, sess.Close())

	// WithBYOCChannels: no input video, a data channel.
	sess, err = gw.Live(ctx, "byoc/text-reversal", nil, WithBYOCChannels(false, true, true))
	require.NoError(t, err)
	info := sess.Info()
	require.Empty(t, info.PublishURL)
	require.NotEmpty(t, info.SubscribeURL)
	require.NotEmpty(t, info.DataURL)
	_, err = sess.NextSegment(ctx)
	require.ErrorIs(t, err, ErrInvalidConfig, "no input channel")
	require.NoError(t, sess.Close())

	// WithStartTimeout bounds each orchestrator's start request.
	n.Orchestrators()[0].SetLatency(2 * time.Second)
	slowGW := newGateway(t, Config{Token: n.Token(), OrchestratorTimeout: 10 * time.Second})
	_, err = slowGW.Live(ctx, "live-video-to-video/noop", nil, WithStartTimeout(100*time.Millisecond))
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.True(t, errors.Is(err, ErrOrchestratorUnavailable) || errors.Is(err, context.DeadlineExceeded), "%v", err)
	n.Orchestrators()[0].SetLatency(0)
}
