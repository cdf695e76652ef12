package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/runner"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// caseFilter upper- or lower-cases each segment by the "case" parameter.
func caseFilter(_ context.Context, p map[string]any, in io.Reader, out io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	if p["case"] == "lower" {
		b = bytes.ToLower(b)
	} else {
		b = bytes.ToUpper(b)
	}
	_, err = out.Write(b)
	return err
}

func TestVideoPerSegmentThroughTheOrchestrator(t *testing.T) {
	e := newEnv(t, 1, true, livepeertest.RunnersConfig{})
	mux := http.NewServeMux()
	mux.Handle("POST /scope", runner.Video(runner.PerSegment(caseFilter)))
	r := e.start(e.runnerConfig(), mux)
	sess := e.reserve(e.discovery(0)[0].URL)

	status, body := e.do(http.MethodPost, sess.AppURL+"/scope", map[string]any{"model_id": "x", "params": map[string]any{"case": "upper"}}, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var vc runner.VideoChannels
	require.NoError(t, json.Unmarshal(body, &vc))
	require.Equal(t, sess.SessionID, vc.ManifestID)
	base := e.n.Orchestrators()[0].URL() + "/ai/trickle/" + sess.SessionID
	require.Equal(t, runner.VideoChannels{PublishURL: base + "-in", SubscribeURL: base + "-out", ControlURL: base + "-control",
		EventsURL: base + "-events", ManifestID: sess.SessionID}, vc)
	status, _ = e.do(http.MethodPost, sess.AppURL+"/scope", nil, nil)
	require.Equal(t, http.StatusConflict, status, "one video per session")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub, err := trickle.NewPublisher(vc.PublishURL, trickle.PublisherConfig{})
	require.NoError(t, err)
	defer pub.Close()
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

	roundTrip := func(in string) string {
		require.NoError(t, pub.Write(ctx, bytes.NewReader([]byte(in))))
		seg, err := sub.Next(ctx)
		require.NoError(t, err)
		b, err := io.ReadAll(seg)
		require.NoError(t, err)
		seg.Close()
		return string(b)
	}
	require.Equal(t, "HELLO", roundTrip("Hello"))
	require.Equal(t, "WORLD", roundTrip("World"))

	// A control message is acknowledged and applies from the next segment.
	require.NoError(t, ctl.Send(ctx, map[string]any{"case": "lower"}))
	for {
		raw, err := events.Next(ctx)
		require.NoError(t, err)
		var ev struct {
			Event map[string]any `json:"event"`
		}
		require.NoError(t, json.Unmarshal(raw, &ev))
		if ev.Event["type"] == "params_update" {
			require.Equal(t, map[string]any{"case": "lower"}, ev.Event["params"])
			break
		}
	}
	require.Equal(t, "abc", roundTrip("ABC"))

	// The session stops: the run ends and the output channel with it.
	status, _ = e.do(http.MethodPost, sess.ControlURL+"/stop", nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	// go-livepeer's trickle server removes the channel on stop: a GET parked
	// at the live edge gets the end-of-stream signal, one that arrives just
	// after gets 404 (the channel vanished). Both are the end here.
	_, err = sub.Next(ctx)
	if !errors.Is(err, trickle.ErrEndOfStream) {
		require.ErrorIs(t, err, trickle.ErrStreamNotFound)
	}
	eventually(t, func() bool { return len(r.Sessions()) == 0 }, "session ended")
}

func TestVideoWithoutSession(t *testing.T) {
	e := newEnv(t, 1, true, livepeertest.RunnersConfig{})
	r := e.start(e.runnerConfig(), runner.Video(runner.PerSegment(caseFilter)))
	_ = r
	status, _ := e.do(http.MethodPost, e.app.URL+"/scope", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
}

func TestCloseEndsVideoAndUnregisters(t *testing.T) {
	e := newEnv(t, 2, true, livepeertest.RunnersConfig{})
	mux := http.NewServeMux()
	mux.Handle("POST /scope", runner.Video(runner.PerSegment(caseFilter)))
	r := e.start(e.runnerConfig(), mux)
	sess := e.reserve(e.discovery(1)[0].URL)
	status, body := e.do(http.MethodPost, sess.AppURL+"/scope", nil, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var vc runner.VideoChannels
	require.NoError(t, json.Unmarshal(body, &vc))
	sub, err := trickle.NewSubscriber(vc.SubscribeURL, trickle.SubscriberConfig{})
	require.NoError(t, err)
	defer sub.Close()

	require.NoError(t, r.Close())
	for i := range 2 {
		require.Empty(t, e.n.Runners()[i].RunnerIDs(), "unregistered from orchestrator %d", i)
	}
	require.Empty(t, e.n.Runners()[1].Sessions(), "its sessions released")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = sub.Next(ctx)
	require.Error(t, err) // the end of the stream, or "not found" if it ended before the first read
	require.True(t, errors.Is(err, trickle.ErrEndOfStream) || errors.Is(err, trickle.ErrStreamNotFound), "%v", err)
	require.Empty(t, r.Sessions())
	require.NoError(t, r.Close(), "idempotent")
	// checkNoLeak (newEnv) verifies no goroutine is left.
}

// jsonReader pulls JSON messages one at a time from sub (trickle.ReadJSON as
// a pull iterator); Close stops it and closes sub.
type jsonReader struct {
	next func() (json.RawMessage, error, bool)
	stop func()
	sub  *trickle.Subscriber
}

func newJSONReader(ctx context.Context, sub *trickle.Subscriber) *jsonReader {
	next, stop := iter.Pull2(trickle.ReadJSON(ctx, sub, 0))
	return &jsonReader{next: next, stop: stop, sub: sub}
}

// Next returns the next message, or the error that ended the stream
// (io.EOF at its clean end).
func (r *jsonReader) Next(context.Context) (json.RawMessage, error) {
	msg, err, ok := r.next()
	if !ok {
		return nil, io.EOF
	}
	return msg, err
}

func (r *jsonReader) Close() error { r.stop(); return r.sub.Close() }
