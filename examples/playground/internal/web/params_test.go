package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store/storetest"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

// TestParamsChangeDuringRun: POST /api/runs/{id}/params validates the set
// with streamdiffusion's Params.Validate (the ErrorState names the field,
// the value and the range), says whether the change applies live or
// reloads the pipeline, and refuses a change ai-runner refuses mid-stream
// (here the output size, on a card that would offer it). Refused changes
// leave the run's parameters as they were.
func TestParamsChangeDuringRun(t *testing.T) {
	st := storetest.Open(t, storetest.Backends(t)[0])
	s, err := New(context.Background(), Config{Store: st, BaseURL: "http://127.0.0.1:1", Secret: make([]byte, 32), UpstreamSigner: "http://127.0.0.1:1", BcryptCost: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	u, err := st.CreateUser(context.Background(), "params@example.com", "h", "free", 1_000_000)
	require.NoError(t, err)

	wf := workflow.StreamDiffusion()
	wf.Params = append(wf.Params, workflow.Param{Name: "width", Label: "Width", Type: workflow.Int}) // a card that offered the output size
	m, _ := wf.Model("")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rn := &run{id: "r1", userID: u.ID, s: s, wf: wf, model: m.ID, ctx: ctx, cancel: cancel, params: m.Copy(), liveUp: make(chan struct{}), started: time.Now()}
	s.mu.Lock()
	s.runs[rn.id] = rn
	s.mu.Unlock()

	post := func(body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/api/runs/r1/params", strings.NewReader(body))
		req.SetPathValue("id", "r1")
		req = req.WithContext(context.WithValue(req.Context(), userKey, u))
		rec := httptest.NewRecorder()
		s.handleParams(rec, req)
		var out map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
		return rec.Code, out
	}
	for _, c := range []struct {
		body, effect string
		changed      []any
	}{
		{`{"prompt": "an ocean"}`, "live", []any{"prompt"}},
		{`{"guidance_scale": 1.5, "seed": 7}`, "live", []any{"guidance_scale", "seed"}},
		{`{"enable_similar_image_filter": true}`, "reload", []any{"enable_similar_image_filter"}},
		{`{"prompt": "an ocean"}`, "", nil},
	} {
		code, out := post(c.body)
		require.Equal(t, http.StatusOK, code, "%s: %v", c.body, out)
		assert.Equal(t, c.effect, out["effect"], c.body)
		if c.changed == nil {
			assert.Nil(t, out["changed"], c.body)
		} else {
			assert.Equal(t, c.changed, out["changed"], c.body)
		}
	}
	for _, c := range []struct{ body, field, detail string }{
		{`{"num_inference_steps": 0}`, "num_inference_steps", "num_inference_steps: 0 not allowed: want 1–100"},
		{`{"t_index_list": [10, 60]}`, "t_index_list", "t_index_list[1]: 60 not allowed: want 0–num_inference_steps (50)"},
		{`{"width": 500}`, "width", "width: 500 not allowed: want 384–1024, a multiple of 64"},
		{`{"width": 768}`, "width", "width: cannot change during a run; it is fixed when the session starts"},
	} {
		code, out := post(c.body)
		require.Equal(t, http.StatusBadRequest, code, c.body)
		assert.Equal(t, c.field, out["field"], c.body)
		es, _ := out["error"].(map[string]any)
		require.NotNil(t, es, c.body)
		assert.Equal(t, string(InvalidParams), es["kind"], c.body)
		assert.Equal(t, c.detail, es["detail"], c.body)
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	assert.Equal(t, "an ocean", rn.params["prompt"])
	assert.Equal(t, true, rn.params["enable_similar_image_filter"])
	assert.Equal(t, int64(512), rn.params["width"], "a refused change is not kept")
	assert.Equal(t, int64(50), rn.params["num_inference_steps"])
}
