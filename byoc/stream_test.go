package byoc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// fakeOrch is an off-chain BYOC orchestrator that records the requests of
// the stream routes.
type fakeOrch struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies map[string][]byte // path -> last body
	job    *byocwire.JobRequest
}

func newFakeOrch(t *testing.T) *fakeOrch {
	f := &fakeOrch{bodies: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies[r.URL.Path] = b
		if h := r.Header.Get(HeaderJob); h != "" {
			f.job, _ = byocwire.ParseJobHeader(h)
		}
		f.mu.Unlock()
		switch r.URL.Path {
		case "/process/token":
			_, _ = w.Write([]byte(`{"available_capacity":1}`))
		case "/ai/stream/start":
			w.Header().Set("X-Publish-Url", f.srv.URL+"/ai/trickle/s1")
			w.Header().Set("X-Control-Url", f.srv.URL+"/ai/trickle/s1-control")
			w.Header().Set("X-Events-Url", f.srv.URL+"/ai/trickle/s1-events")
			w.Header().Set("X-Data-Url", f.srv.URL+"/ai/trickle/s1-data")
		case "/ai/stream/update", "/ai/stream/stop":
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOrch) body(path string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[path]
}

func (f *fakeOrch) candidates(t *testing.T) Candidates {
	info, err := orchinfo.FromProto("o:1", &lpnet.OrchestratorInfo{Transcoder: f.srv.URL})
	require.NoError(t, err)
	return discovery.NewSelector("byoc/cap", []*discovery.Info{info}, nil)
}

// The start body is {"params": {...}}, as go-livepeer's gateway sends it
// (byoc/stream_gateway.go: paramsReq := map[string]interface{}{"params":
// pipelineParams}); the orchestrator merges it into the worker's request,
// where the worker reads "params". It used to be the params object itself.
func TestStartStreamWire(t *testing.T) {
	f := newFakeOrch(t)
	c, err := New(Config{Signer: signer.Offchain()})
	require.NoError(t, err)
	ctx := context.Background()
	st, err := c.StartStream(ctx, http.DefaultClient, f.candidates(t), StreamSpec{
		Capability: "cap", ID: "s1", Params: map[string]any{"prompt": "a cat"}, NoVideoEgress: true, DataOutput: true})
	require.NoError(t, err)
	require.JSONEq(t, `{"params":{"prompt":"a cat"}}`, string(f.body("/ai/stream/start")))
	require.Equal(t, "s1", st.ID)
	require.Equal(t, f.srv.URL+"/ai/trickle/s1", st.Channels.Publish)
	require.Empty(t, st.Channels.Subscribe)
	require.Equal(t, f.srv.URL+"/ai/trickle/s1-data", st.Channels.Data)
	require.False(t, st.Priced)
	var params map[string]bool
	require.NoError(t, json.Unmarshal([]byte(f.job.Parameters), &params))
	require.Equal(t, map[string]bool{"enable_video_ingress": true, "enable_video_egress": false, "enable_data_output": true}, params)
	require.JSONEq(t, `{"stream_id":"s1"}`, f.job.Request)
	require.Equal(t, int(DefaultStreamTimeout.Seconds()), f.job.TimeoutSeconds)

	require.NoError(t, st.Update(ctx, []byte(`{"prompt":"a dog"}`)))
	require.JSONEq(t, `{"prompt":"a dog"}`, string(f.body("/ai/stream/update")))
	require.NoError(t, st.Stop(ctx))
	require.JSONEq(t, `{"stream_id":"s1"}`, string(f.body("/ai/stream/stop")))
	require.ErrorIs(t, st.Pay(ctx), lperr.ErrNoTicketsNeeded, "free: nothing to pay")

	_, err = c.StartStream(ctx, http.DefaultClient, f.candidates(t), StreamSpec{Capability: "cap"})
	require.NoError(t, err)
	require.JSONEq(t, `{"params":{}}`, string(f.body("/ai/stream/start")), "no params: an empty object, as go-livepeer")
}

func TestStartBody(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, `{"params":{}}`},
		{map[string]any{}, `{"params":{}}`},
		{json.RawMessage(`{"a":1}`), `{"params":{"a":1}}`},
		{struct {
			Prompt string `json:"prompt"`
		}{"x"}, `{"params":{"prompt":"x"}}`},
	} {
		b, err := startBody(c.in)
		require.NoError(t, err)
		require.JSONEq(t, c.want, string(b))
	}
	for _, bad := range []any{[]int{1}, "x", func() {}} {
		_, err := startBody(bad)
		require.True(t, errors.Is(err, lperr.ErrInvalidConfig), "%v", bad)
	}
	c, err := New(Config{Signer: signer.Offchain()})
	require.NoError(t, err)
	_, err = c.StartStream(context.Background(), http.DefaultClient, nil, StreamSpec{Capability: "a/b"})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = c.StartStream(context.Background(), http.DefaultClient, nil, StreamSpec{Capability: "a", ID: "x/y"})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = New(Config{})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig, "a Signer is required")
}
