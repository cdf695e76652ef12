package livepeertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/runner"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// A Go live runner (package runner) serving the Scope-like app with the
// ffmpeg Transform registers dynamically; a raw client reserves and pays a
// session, starts video with POST {app_url}/scope, and gets negated video
// back, then unchanged video after a control message.
func TestScopeLikeRunnerTransformsVideo(t *testing.T) {
	liveNeedFFmpeg(t)
	in := liveTestSegments(t, 4*time.Second)
	require.GreaterOrEqual(t, len(in), 4)
	f := newRunnerFixture(t, false, RunnersConfig{Secret: testSecret})

	app := httptest.NewUnstartedServer(nil) // its URL is known before it serves
	defer app.Close()
	r, err := runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: f.o.URL(), Secret: testSecret}},
		Registration: runner.Registration{URL: "http://" + app.Listener.Addr().String(), App: "live-video-to-video/scope",
			Capacity: 1, Price: &runner.Price{USD: "0.00025", Unit: runner.Per720p}},
	})
	require.NoError(t, err)
	defer r.Close()
	app.Config.Handler = worker.Scope(r, RunnerVideo(Transform(TransformConfig{})))
	app.Start()
	require.NoError(t, r.Start(context.Background()))

	d := f.discovery()
	require.Len(t, d, 1)
	require.Equal(t, &RunnerPrice{Price: "1", Currency: "wei", Unit: "720p-pixel-seconds"}, d[0].PriceInfo)
	sess, _, _, _ := f.reservePaid(d[0].URL, "lv2v")

	status, _, body := f.do(http.MethodPost, sess.AppURL+"/scope", map[string]any{"model_id": "scope", "params": map[string]any{"effect": "negate"}}, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	vc := decode[runner.VideoChannels](t, body)
	require.Equal(t, sess.SessionID, vc.ManifestID)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub, err := trickle.NewPublisher(vc.PublishURL, trickle.PublisherConfig{})
	require.NoError(t, err)
	sub, err := trickle.NewSubscriber(vc.SubscribeURL, trickle.SubscriberConfig{})
	require.NoError(t, err)
	defer sub.Close()
	evSub, err := trickle.NewSubscriber(vc.EventsURL, trickle.SubscriberConfig{})
	require.NoError(t, err)
	events := newJSONReader(ctx, evSub)
	defer events.Close()
	ctl, err := trickle.NewControlWriter(vc.ControlURL, trickle.ControlConfig{})
	require.NoError(t, err)
	defer ctl.Close()

	// Read the output concurrently: it arrives while we publish. The
	// transform cuts it at the input's keyframes (1 s GOPs of 30 frames).
	segs := make(chan []byte, 16)
	readErr := make(chan error, 1)
	go func() {
		for {
			seg, err := sub.Next(ctx)
			if err != nil {
				readErr <- err
				return
			}
			b, err := io.ReadAll(seg)
			seg.Close()
			if err != nil {
				readErr <- err
				return
			}
			segs <- b
		}
	}()
	var out [][]byte
	next := func() {
		select {
		case b := <-segs:
			out = append(out, b)
		case err := <-readErr:
			t.Fatalf("output ended after %d segments: %v", len(out), err)
		case <-ctx.Done():
			t.Fatal("no output")
		}
	}
	for _, seg := range in[:2] {
		require.NoError(t, pub.Write(ctx, bytes.NewReader(seg)))
	}
	// Output segment 0 comes out once segment 1 went into ffmpeg with the
	// negate filter: the change now applies from segment 2.
	next()
	require.NoError(t, ctl.Send(ctx, map[string]any{"effect": "none"}))
	for {
		raw, err := events.Next(ctx)
		require.NoError(t, err)
		var ev struct {
			Event map[string]any `json:"event"`
		}
		require.NoError(t, json.Unmarshal(raw, &ev))
		if ev.Event["type"] == "params_update" {
			break
		}
	}
	for _, seg := range in[2:] {
		require.NoError(t, pub.Write(ctx, bytes.NewReader(seg)))
	}
	for len(out) < 3 { // segment 2 comes out once segment 3 went in
		next()
	}
	require.NoError(t, pub.Close()) // the input ends: the app finishes and closes its output
	require.Error(t, <-readErr)

	inFrames, err := GrayFrames(ctx, bytes.Join(in[:3], nil), 32, 18)
	require.NoError(t, err)
	outFrames, err := GrayFrames(ctx, bytes.Join(out, nil), 32, 18)
	require.NoError(t, err)
	require.Len(t, outFrames, len(inFrames), "every frame of three segments comes out")
	assert.Less(t, Correlation(inFrames[10], outFrames[10]), -0.9, "negated first")
	assert.Less(t, Correlation(inFrames[45], outFrames[45]), -0.9)
	assert.Greater(t, Correlation(inFrames[75], outFrames[75]), 0.9, "unchanged after the control message")

	status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/stop", nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	require.NoError(t, r.Close())
	require.Empty(t, f.reg.RunnerIDs())
}
