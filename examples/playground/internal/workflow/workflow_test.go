package workflow_test

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

func TestApplyKeepsFullSetAndValidates(t *testing.T) {
	wf := workflow.StreamDiffusion()
	m, ok := wf.Model("streamdiffusion-sdxl")
	require.True(t, ok)
	cur := m.Copy()
	next, err := wf.Apply(cur, map[string]any{"prompt": "a cat", "seed": json.Number("42")})
	require.NoError(t, err)
	require.Equal(t, "stabilityai/sdxl-turbo", next["model_id"], "the full set, model_id included, is kept")
	require.Equal(t, "a cat", next["prompt"])
	require.Equal(t, int64(42), next["seed"])
	require.Equal(t, "flowers", cur["prompt"], "current is not modified")

	// The type and the card's own limits, then ai-runner's rules through
	// streamdiffusion's Params.Validate (field, value, range).
	for _, c := range []struct{ patch, field, want string }{
		{`{"guidance_scale": 3.5}`, "guidance_scale", "guidance_scale: must be between 0.1 and 3"},
		{`{"delta": "x"}`, "delta", "delta: must be a number between 0.1 and 3"},
		{`{"num_inference_steps": 1.5}`, "num_inference_steps", "num_inference_steps: must be an integer between 1 and 100"},
		{`{"num_inference_steps": 0}`, "num_inference_steps", "num_inference_steps: 0 not allowed: want 1–100"},
		{`{"t_index_list": []}`, "t_index_list", "t_index_list: [] not allowed: want 1–4 values"},
		{`{"t_index_list": [1,2,3,4,5]}`, "t_index_list", "t_index_list: [1 2 3 4 5] not allowed: want 1–4 values"},
		{`{"t_index_list": [30, 20]}`, "t_index_list", "t_index_list[1]: 20 not allowed: want at least 30 (non-decreasing)"},
		{`{"t_index_list": [51]}`, "t_index_list", "t_index_list[0]: 51 not allowed: want 0–num_inference_steps (50)"},
		{`{"t_index_list": [50]}`, "t_index_list", "t_index_list: every item must be below num_inference_steps (50)"},       // the card's narrower rule
		{`{"num_inference_steps": 10}`, "t_index_list", "t_index_list[0]: 36 not allowed: want 0–num_inference_steps (10)"}, // sdxl [36]
		{`{"width": 1024}`, "width", "width: unknown or read-only parameter"},
		{`{"prompt": 7}`, "prompt", "prompt: must be a string"},
		{`{"enable_similar_image_filter": "yes"}`, "enable_similar_image_filter", "enable_similar_image_filter: must be true or false"},
	} {
		var p map[string]any
		d := json.NewDecoder(strings.NewReader(c.patch))
		d.UseNumber()
		require.NoError(t, d.Decode(&p))
		_, err := wf.Apply(cur, p)
		var fe *workflow.FieldError
		require.True(t, errors.As(err, &fe), c.patch)
		require.Contains(t, err.Error(), c.want, c.patch)
		require.Equal(t, c.field, fe.Field, "%s: the field the page highlights", c.patch)
	}
}

func TestSnippetAndToken(t *testing.T) {
	wf := workflow.StreamDiffusion()
	m, _ := wf.Model("")
	src, err := workflow.RenderGo(wf, workflow.SnippetData{BaseURL: "http://127.0.0.1:9", Key: "lpk_abc", ModelID: m.ID, Params: m.Defaults})
	require.NoError(t, err)
	for _, want := range []string{`SignerURL:        "http://127.0.0.1:9"`, `"Bearer lpk_abc"`, `gw.Live(ctx, "live-video-to-video/streamdiffusion", params)`,
		"ModelID:                  streamdiffusion.SDTurbo,", `sess.Update(ctx, next)`, `"github.com/livepeer/livepeer-go-gateway/streamdiffusion"`,
		"params.Validate()", "streamdiffusion.Reloads(params, next)", `os.Create("output.ts")`, "go mod init", "go get github.com/livepeer/livepeer-go-gateway"} {
		require.Contains(t, src, want)
	}
	tok, err := livepeer.ParseToken(workflow.Token("http://127.0.0.1:9", "lpk_abc"))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9", tok.Signer)
	require.Equal(t, "Bearer lpk_abc", tok.SignerHeaders["Authorization"])
	require.Equal(t, "http://127.0.0.1:9/discover-orchestrators", tok.Discovery)
}

func TestRenderAllSnippetsFollowTheForm(t *testing.T) {
	wf := workflow.StreamDiffusion()
	m, _ := wf.Model("streamdiffusion-sdxl")
	params, err := wf.Apply(m.Copy(), map[string]any{"prompt": `a "quoted" cat`, "guidance_scale": 2.5})
	require.NoError(t, err)
	sn, err := workflow.Render(wf, workflow.SnippetData{BaseURL: "http://127.0.0.1:9", ModelID: m.ID, Params: params})
	require.NoError(t, err)
	for name, src := range map[string]string{"go": sn.Go, "curl": sn.Curl} {
		require.Contains(t, src, "live-video-to-video/streamdiffusion-sdxl", name)
	}
	for name, src := range map[string]string{"go": sn.Go, "python": sn.Python, "curl": sn.Curl} {
		require.NotContains(t, src, "lpk_", name)
	}
	require.Regexp(t, `GuidanceScale: +streamdiffusion.Float\(2.5\),`, sn.Go)
	require.Regexp(t, `Prompt: +streamdiffusion.PromptText\("a \\"quoted\\" cat"\),`, sn.Go)
	require.Contains(t, sn.Go, "Bearer "+workflow.KeyPlaceholder)
	require.Contains(t, sn.Python, `"guidance_scale": 2.5,`)
	require.Contains(t, sn.Python, `"prompt": "a \"quoted\" cat",`)
	require.Contains(t, sn.Python, `"t_index_list": [36],`)
	require.Contains(t, sn.Python, `MODEL = "streamdiffusion-sdxl"`)
	require.Contains(t, sn.Python, `TOKEN = "`+workflow.TokenPlaceholder+`"`)
	require.Contains(t, sn.Python, "pip install livepeer-gateway")
	require.Contains(t, sn.Python, "start_lv2v(None, StartJobRequest(model_id=MODEL, params=PARAMS), token=TOKEN)")
	require.Contains(t, sn.Python, "asyncio.run(main())")
	require.Contains(t, sn.Python, `open("output.ts", "wb")`)
	require.Contains(t, sn.Python, `getattr(e, "rejections", [])`)
	require.NotContains(t, sn.Python, "true")
	require.Contains(t, sn.Curl, `TOKEN="`+workflow.TokenPlaceholder+`"`)
	var tok map[string]any
	require.NoError(t, json.Unmarshal([]byte(sn.TokenJSON), &tok))
	require.Equal(t, "http://127.0.0.1:9", tok["signer"])
}

// TestPythonSnippetParses checks the Python snippet's syntax with the
// machine's python3 (skipped without one; the SDK itself is not needed).
func TestPythonSnippetParses(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	wf := workflow.StreamDiffusion()
	m, _ := wf.Model("")
	params, err := wf.Apply(m.Copy(), map[string]any{"prompt": "naïve 'quotes' \"and\" \\ backslashes\nnew line"})
	require.NoError(t, err)
	sn, err := workflow.Render(wf, workflow.SnippetData{BaseURL: "http://127.0.0.1:9", ModelID: m.ID, Params: params})
	require.NoError(t, err)
	cmd := exec.Command(py, "-c", "import ast, sys; t = ast.parse(sys.stdin.read()); "+
		"p = [n for n in t.body if isinstance(n, ast.Assign) and n.targets[0].id == 'PARAMS'][0]; "+
		"print(ast.literal_eval(p.value)['prompt'])")
	cmd.Stdin = strings.NewReader(sn.Python)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "naïve 'quotes' \"and\" \\ backslashes\nnew line\n", string(out), "the prompt survives as a Python literal")
}
