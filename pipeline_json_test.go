package livepeer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// Every pipeline through Run with its request as JSON (json.RawMessage;
// a file as a data: URL) and as a map[string]any (a file as a File): the
// same units paid and charged, the same answer as the typed request.
func TestRunEveryPipelineFromJSON(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	for _, pc := range pipelineCalls(t) {
		t.Run(pc.capability, func(t *testing.T) {
			if pc.ffmpeg && !hasFFmpeg() {
				t.Skip("ffmpeg/ffprobe not installed")
			}
			wire, err := json.Marshal(pc.input)
			require.NoError(t, err)
			if ff := pipelineOf(t, pc.capability).FileField(); ff != "" {
				assert.Contains(t, string(wire), `"`+ff+`":"data:`, "a file is a data: URL in JSON")
			}
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(wire))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&m))
			if ff := pipelineOf(t, pc.capability).FileField(); ff != "" {
				var f File
				require.NoError(t, json.Unmarshal([]byte(`"`+m[ff].(string)+`"`), &f))
				m[ff] = f
			}
			for name, input := range map[string]any{"json": json.RawMessage(wire), "map": m} {
				before := len(e.charges())
				res, err := e.gw.Run(ctx, pc.capability, input)
				require.NoError(t, err, name)
				p := res.Pipeline()
				assert.Equal(t, pc.units, p.Units, name)
				charges := e.charges()
				require.Len(t, charges, before+1, "%s: charged once", name)
				pc.check(t, ctx, p)
			}
		})
	}
}

func pipelineOf(t *testing.T, capability string) aipipeline.Pipeline {
	c, err := aipipeline.ParseCapability(capability)
	require.NoError(t, err)
	return c.Pipeline
}

// JSON an LLM stream takes, and JSON refused before anything is asked or
// paid: bad syntax, unknown fields (named), a file that is not a data: URL.
func TestPipelineJSONInput(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	llm := "llm/" + livepeertest.AIModelLLM

	st, err := e.gw.Stream(ctx, llm, []byte(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}`))
	require.NoError(t, err)
	var text strings.Builder
	for ch, err := range st.LLMChunks(ctx) {
		require.NoError(t, err)
		text.WriteString(ch.Text())
	}
	assert.Equal(t, "Hello from the livepeertest ", text.String())
	assert.Equal(t, int64(4), st.Pipeline().Units)
	res, err := e.gw.Run(ctx, llm, map[string]any{"messages": []map[string]string{{"role": "user", "content": "hi"}}, "max_tokens": 2})
	require.NoError(t, err)
	assert.Equal(t, "Hello from", strings.TrimSpace(res.Pipeline().LLM.Text()))
	_, err = e.gw.Run(ctx, llm, json.RawMessage(`{"max_tokens":3,"stream":true}`))
	require.ErrorIs(t, err, ErrUnexpectedResponse, "Run refuses a streaming request given as JSON too")

	pays, charged := len(e.net.Signer().BatchPayments()), len(e.charges())
	asked := 0
	for _, o := range e.net.Orchestrators() {
		asked += o.GetOrchestratorCalls()
	}
	tti := "text-to-image/" + livepeertest.AIModelTextToImage
	for _, tc := range []struct {
		stream     bool
		capability string
		input      any
		field      string
		says       string
	}{
		{false, tti, json.RawMessage(`{"prompt":"a red fox","widht":512}`), "widht", `did you mean "width"?`},
		{false, tti, []byte(`{"prompt":"a red fox",`), "", "not valid JSON at byte"},
		{false, tti, json.RawMessage(`"a red fox"`), "", "want a JSON object"},
		{false, tti, map[string]any{"prompt": "x", "steps": 3}, "steps", "unknown field; text-to-image takes"},
		{false, tti, map[string]any{"prompt": "x", "image": File{Data: []byte("x")}}, "image", "unknown field"},
		{false, "upscale/" + livepeertest.AIModelUpscale, json.RawMessage(`{"prompt":"x","image":"/tmp/fox.png"}`), "image", "data: URL"},
		{false, "image-to-image/" + livepeertest.AIModelImageToImage, map[string]any{"prompt": "x", "image": "data:image/png;base64,AAAA"}, "image", "not a PNG, JPEG or GIF"},
		{true, llm, json.RawMessage(`{"messages":[{"role":"user","content":"hi","name":"me"}]}`), "messages[0].name", "unknown field"},
		{true, llm, map[string]any{"max_tokens": "64"}, "max_tokens", "want an integer"},
		{true, llm, nil, "", "no request"},
		{false, tti, struct{ Prompt string }{"x"}, "", "want the pipeline's request"},
	} {
		var err error
		if tc.stream {
			_, err = e.gw.Stream(ctx, tc.capability, tc.input)
		} else {
			_, err = e.gw.Run(ctx, tc.capability, tc.input)
		}
		var ie *InputError
		require.ErrorAs(t, err, &ie, "%T %v", tc.input, tc.input)
		assert.ErrorIs(t, err, ErrBadInput)
		assert.Equal(t, tc.field, ie.Field, err.Error())
		assert.Contains(t, err.Error(), tc.says)
	}
	for _, o := range e.net.Orchestrators() {
		asked -= o.GetOrchestratorCalls()
	}
	assert.Zero(t, asked, "no orchestrator asked for refused input")
	assert.Len(t, e.net.Signer().BatchPayments(), pays, "nothing paid")
	assert.Len(t, e.charges(), charged, "nothing charged")
}
