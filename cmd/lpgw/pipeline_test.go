package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

const (
	tti = "text-to-image/" + livepeertest.AIModelTextToImage
	llm = "llm/" + livepeertest.AIModelLLM
)

// pngFile writes a w×h PNG into dir and returns its path.
func pngFile(t *testing.T, dir string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	path := filepath.Join(dir, "in.png")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// wavFile writes secs seconds of a tone (8 kHz mono 16-bit) into dir.
func wavFile(t *testing.T, dir string, secs float64) string {
	t.Helper()
	const rate = 8000
	n := int(secs * rate)
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(2*n))
	for i := range n {
		_ = binary.Write(&b, le, int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	path := filepath.Join(dir, "in.wav")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

func pngSize(t *testing.T, path string) image.Point {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err, path)
	return image.Pt(cfg.Width, cfg.Height)
}

func hasFFmpeg() bool {
	_, err1 := exec.LookPath("ffmpeg")
	_, err2 := exec.LookPath("ffprobe")
	return err1 == nil && err2 == nil
}

// The built-in AI pipelines from the shell: media written with -o (several
// files numbered), a local file as "@path", JSON with the media described
// without -o, text answers as text, the llm streamed token by token with
// a usage line on stderr.
func TestRunPipelines(t *testing.T) {
	ctx := testCtx(t)
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1})
	require.NoError(t, err)
	defer d.Close()
	tok := []string{"--token", d.net.Token()}
	dir := t.TempDir()
	cli := func(args ...string) result { return runCLI(t, ctx, "", append(args, tok...)...) }

	fox := filepath.Join(dir, "fox.png")
	r := cli("run", tti, `{"prompt":"a red fox","width":96,"height":64,"num_images_per_prompt":2}`, "-o", fox, "-v")
	require.NoError(t, r.err, r.stderr)
	require.Empty(t, r.stdout)
	require.Equal(t, image.Pt(96, 64), pngSize(t, fox))
	require.Equal(t, image.Pt(96, 64), pngSize(t, filepath.Join(dir, "fox-1.png")))
	require.Contains(t, r.stderr, "wrote "+filepath.Join(dir, "fox-1.png"))
	require.Contains(t, r.stderr, "12288 units", "-v: 96×64×2 units paid")

	// Without -o: the answer's JSON, each file as its URL on the orchestrator.
	r = cli("run", tti, `{"prompt":"a red fox","width":32,"height":32}`)
	require.NoError(t, r.err, r.stderr)
	var ans struct {
		Images []struct{ URL string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ans), r.stdout)
	require.Len(t, ans.Images, 1)
	require.True(t, strings.HasPrefix(ans.Images[0].URL, d.net.Orchestrators()[0].URL()+"/"), ans.Images[0].URL)
	r = cli("run", tti, `{"prompt":"x","width":32,"height":32}`, "--field", "images")
	require.NoError(t, r.err, r.stderr)
	require.True(t, strings.HasPrefix(strings.TrimSpace(r.stdout), "["), r.stdout)

	// A local file as "@path"; -o - writes the one result to a pipe.
	in := pngFile(t, dir, 40, 30)
	big := filepath.Join(dir, "big.png")
	r = cli("run", "upscale/"+livepeertest.AIModelUpscale, `{"prompt":"sharp","image":"@`+in+`"}`, "-o", big)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, image.Pt(80, 60), pngSize(t, big))
	r = cli("run", "image-to-image/"+livepeertest.AIModelImageToImage, `{"prompt":"x","image":"@`+in+`"}`, "-o", "-")
	require.NoError(t, r.err, r.stderr)
	cfg, err := png.DecodeConfig(strings.NewReader(r.stdout))
	require.NoError(t, err)
	require.Equal(t, 40, cfg.Width)

	// Text answers print as text; --json prints the answer's JSON.
	r = cli("run", "image-to-text/"+livepeertest.AIModelImageToText, `{"image":"@`+in+`"}`)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "a 40x30 picture, mostly red\n", r.stdout)
	r = cli("run", "image-to-text/"+livepeertest.AIModelImageToText, `{"image":"@`+in+`"}`, "--json")
	require.NoError(t, r.err, r.stderr)
	require.JSONEq(t, `{"text":"a 40x30 picture, mostly red"}`, r.stdout)
	r = cli("run", llm, `{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}`)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "Hello from the \n", r.stdout)
	r = cli("run", "segment-anything-2/"+livepeertest.AIModelSegmentAnything2, `{"image":"@`+in+`","point_coords":"[[1,1]]"}`)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, `"scores"`)
	wav := filepath.Join(dir, "hello.wav")
	r = cli("run", "text-to-speech/"+livepeertest.AIModelTextToSpeech, `{"text":"hello"}`, "-o", wav)
	require.NoError(t, r.err, r.stderr)
	b, err := os.ReadFile(wav)
	require.NoError(t, err)
	require.Equal(t, "RIFF", string(b[:4]))
	if hasFFmpeg() {
		r = cli("run", "audio-to-text/"+livepeertest.AIModelAudioToText, `{"audio":"@`+wavFile(t, dir, 2.5)+`"}`)
		require.NoError(t, r.err, r.stderr)
		require.NotEmpty(t, strings.TrimSpace(r.stdout))
		require.NotContains(t, r.stdout, "{")
	}

	// The llm streamed: the text as it comes, the usage on stderr.
	r = cli("stream", llm, `{"messages":[{"role":"user","content":"hi"}],"max_tokens":5}`)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "Hello from the livepeertest toy \n", r.stdout)
	require.Regexp(t, `lpgw: \d+ prompt \+ 5 completion = \d+ tokens; finish_reason stop; paid 5 units \(.* gwei\) on https://`, lastLine(r.stderr))
	r = cli("stream", llm, `{"messages":[{"role":"user","content":"yo"}],"max_tokens":2}`, "--json")
	require.NoError(t, r.err, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3, "two tokens and the finishing chunk")
	require.Contains(t, lines[2], `finish_reason`)

	// Refused input: exit 2, one line naming the field or the file.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", tti, `{"promt":"a red fox"}`}, exitUsage, `input for text-to-image: promt: unknown field; did you mean "prompt"?`},
		{[]string{"run", tti, `{"prompt":"x","width":"wide"}`}, exitUsage, "width: want an integer"},
		{[]string{"run", tti, `{"prompt":""}`}, exitUsage, "refused the request as bad input: text-to-image container returned 400: prompt is required"},
		{[]string{"run", "upscale/" + livepeertest.AIModelUpscale, `{"prompt":"x","image":"@/nonexistent.png"}`}, exitUsage, `"image" of the input: open /nonexistent.png`},
		{[]string{"run", "upscale/" + livepeertest.AIModelUpscale, `{"prompt":"x","image":"fox.png"}`}, exitUsage, "image: cannot read the file"},
		{[]string{"run", tti, `{"prompt":"x","num_images_per_prompt":2}`, "-o", "-"}, exitUsage, "-o -: the answer has 2 files"},
		{[]string{"run", tti, `{"prompt":"x"}`, "--path", "p"}, exitUsage, "--path does not apply to the built-in AI pipelines"},
		{[]string{"run", "llm/", `{}`}, exitUsage, "missing model"},
		{[]string{"stream", tti, `{"prompt":"x"}`}, exitUsage, "text-to-image answers once: use lpgw run"},
		{[]string{"run", "text-to-image/nobody/serves-this", `{"prompt":"x"}`}, exitNoOrchestrator, "text-to-image/nobody/serves-this"},
	} {
		r := cli(c.args...)
		require.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, lastLine(r.stderr), c.want)
		require.Equal(t, 1, strings.Count(r.stderr, "lpgw: "), "one line: %s", r.stderr)
	}
}

// Without -o, data: URLs are described (media type and size), never
// printed, and relative URLs are made absolute.
func TestDescribeMediaJSON(t *testing.T) {
	body := `{"images":[{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==","seed":1,"nsfw":false},{"url":"/stream/x/1.png","seed":2}],"note":"data:,hi"}`
	out, err := describeMediaJSON([]byte(body), "https://o.example:8935")
	require.NoError(t, err)
	require.JSONEq(t, `{"images":[{"url":"data:image/png;base64,… (16 bytes; -o FILE saves it)","seed":1,"nsfw":false},
		{"url":"https://o.example:8935/stream/x/1.png","seed":2}],"note":"data:,… (2 bytes; -o FILE saves it)"}`, string(out))
	require.NotContains(t, string(out), "iVBOR")
	_, err = describeMediaJSON([]byte(`not json`), "")
	require.Error(t, err)
	require.Equal(t, "a.png", mediaName("a.png", 0))
	require.Equal(t, "dir.d/a-2.png", mediaName("dir.d/a.png", 2))
	require.Equal(t, "out-1", mediaName("out", 1))
}
