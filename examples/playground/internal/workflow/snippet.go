package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"sort"
	"strings"
	"text/template"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

// KeyPlaceholder stands for the user's key in snippets rendered before the
// page knows it (the page fills in the key this browser tab created).
const KeyPlaceholder = "YOUR_PLAYGROUND_KEY"

// TokenPlaceholder stands for the gateway token (base64 JSON carrying the
// key) in the Python and curl snippets; the page computes the token from
// TokenJSON once it has the key and never shows a token without one.
const TokenPlaceholder = "YOUR_PLAYGROUND_TOKEN"

// SnippetData fills a snippet template.
type SnippetData struct {
	BaseURL string         // the playground's URL: signer and discovery base
	Key     string         // the personal key (or KeyPlaceholder)
	ModelID string         // e.g. "streamdiffusion"
	Params  map[string]any // the full parameter set, as on the form
	// Prompt2 is the prompt the snippet switches to halfway (a live
	// parameter change); default "a watercolor painting".
	Prompt2 string
}

// goSnippet is the Go program the card shows: the calls the page's server
// makes for the browser (NewGateway on the hosted signer, Live, publish
// H.264 MPEG-TS segments, an update with the full parameter set) with a
// test pattern for the camera and the output saved to a file. The
// parameter set is the workflow's typed form when it has one
// (streamdiffusion.Params), else a map.
const goSnippet = `// A Livepeer live-video-to-video session from Go: a test pattern in,
// {{.Title}} out, saved to output.ts.
//
//	go mod init livepeer-snippet
//	go get github.com/livepeer/livepeer-go-gateway@latest
//	go run .          # needs ffmpeg: its test pattern stands in for a camera
//	ffplay output.ts  # or open it in VLC
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/media"
{{range .Go.Imports}}	{{printf "%q" .}}
{{end}})

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// The playground's hosted signer pays for the session from your trial budget.
	auth := map[string]string{"Authorization": "Bearer {{.Key}}"}
	gw, err := livepeer.NewGateway(livepeer.Config{
		SignerURL:        {{printf "%q" .BaseURL}},
		SignerHeaders:    auth,
		DiscoveryURL:     {{printf "%q" (print .BaseURL "/discover-orchestrators")}},
		DiscoveryHeaders: auth,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()

	// Every parameter, as on the card: each update replaces all of them.
	params := {{.Go.Value}}
{{with .Go.Check}}{{.}}
{{end}}	sess, err := gw.Live(ctx, {{printf "%q" .Capability}}, params)
	if errors.Is(err, livepeer.ErrInsufficientBalance) {
		log.Fatal("out of trial credit: see {{.BaseURL}}/keys")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	fmt.Println("session started on", sess.Info().Orchestrator)

	// Output: the transformed video as one playable MPEG-TS file.
	f, err := os.Create("output.ts")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	out := media.NewContinuousWriter(f, media.ContinuousOptions{})
	outDone := make(chan error, 1)
	go func() { outDone <- media.WriteSegments(ctx, out, sess.Subscribe(ctx)) }()

	// A live parameter change after 5 s: the whole set, with a new prompt.
	time.AfterFunc(5*time.Second, func() {
		{{.Go.Next}}
		if err := sess.Update(ctx, next); err != nil {
			log.Println("update:", err)
		}
	})

	// Input: 10 s of test pattern (a camera stand-in), cut into segments at keyframes.
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{
		Width: 512, Height: 512, Duration: 10 * time.Second, Realtime: true,
		Encode: media.EncodeOptions{KeyframeInterval: time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	if _, err := media.Resegment(ctx, src, media.SinkOf(sess.NextSegment), media.ResegmentOptions{}); err != nil {
		log.Fatalf("publish: %v (session: %v)", err, sess.Err()) // ErrInsufficientBalance: out of trial credit
	}
	// End the input: the output ends once the last frames are through.
	if err := sess.EndInput(ctx); err != nil {
		log.Fatal(err)
	}
	select {
	case err = <-outDone:
	case <-time.After(30 * time.Second):
		err = errors.New("the output did not end 30 s after the input")
	}
	if err != nil {
		log.Fatal(err)
	}
	_, st := out.Stats()
	fmt.Printf("wrote %d frames to output.ts\n", st.VideoFrames)
}
`

// pythonSnippet is the same session with the public Python gateway SDK
// (pip install livepeer-gateway), written as its examples are
// (livepeer-python-gateway examples/write_frames.py, in_out_composite.py):
// start_lv2v with a token inside asyncio.run (outside a running loop its
// recurring payments never start), start_media + write_frame in,
// media_output segments out, control.write with the full parameter set.
const pythonSnippet = `# A Livepeer live-video-to-video session from Python: generated frames in,
# {{.Title}} out, saved to output.ts.
#
#   pip install livepeer-gateway
#   python main.py
#   ffplay output.ts   # or open it in VLC
#
# Running out of credit mid-stream shows only in the SDK's log (its payments
# stop with a warning, then the orchestrator ends the stream); a start
# without credit raises LivepeerGatewayError.
import asyncio
from fractions import Fraction

import av

from livepeer_gateway.errors import LivepeerGatewayError
from livepeer_gateway.lv2v import StartJobRequest, start_lv2v
from livepeer_gateway.media_publish import MediaPublishConfig, VideoOutputConfig

# Your key, the hosted signer and its discovery, as one gateway token.
TOKEN = "{{.Token}}"
MODEL = {{printf "%q" .ModelID}}
# Every parameter, as on the card: each control message replaces all of them.
PARAMS = {{.ParamsPy}}
FPS = 30
SECONDS = 10


def make_frame(i: int) -> av.VideoFrame:
    frame = av.VideoFrame(512, 512, "rgb24")
    c = (i * 4) % 255
    frame.planes[0].update(bytes([c, 96, 255 - c]) * (512 * 512))
    frame.pts = i
    frame.time_base = Fraction(1, FPS)
    return frame


async def publish(job) -> None:
    media = job.start_media(MediaPublishConfig(tracks=[VideoOutputConfig(fps=FPS)]))
    for i in range(FPS * SECONDS):
        await media.write_frame(make_frame(i))
        await asyncio.sleep(1 / FPS)
        if i == FPS * 5 and job.control is not None:  # a live parameter change
            await job.control.write({**PARAMS, "prompt": {{printf "%q" .Prompt2}}})


async def save_output(job) -> None:
    with open("output.ts", "wb") as out:
        async with job.media_output() as output:
            async for segment in output.segments():
                reader = segment.make_reader()
                while (chunk := await reader.read()) is not None:
                    out.write(chunk)


async def print_events(job) -> None:
    if job.events is not None:
        async for event in job.events():
            print("event:", event.get("type", event))


async def main() -> None:
    job = None
    try:
        # Inside the running event loop, so the recurring payments start.
        job = start_lv2v(None, StartJobRequest(model_id=MODEL, params=PARAMS), token=TOKEN)
        print("session started:", job.manifest_id)
        tasks = [asyncio.create_task(save_output(job)), asyncio.create_task(print_events(job))]
        await publish(job)
        await asyncio.sleep(3)  # the last frames come through
        for t in tasks:
            t.cancel()
        print("wrote output.ts")
    except LivepeerGatewayError as e:
        print("ERROR:", e)
        for r in getattr(e, "rejections", []):  # why each orchestrator refused (out of credit...)
            print("  rejected:", r.url, r.reason)
    finally:
        if job is not None:
            await job.close()


if __name__ == "__main__":
    asyncio.run(main())
`

// curlSnippet checks a key against the hosted signer with the calls every
// SDK makes first, and shows the gateway token.
const curlSnippet = `# Your key against the hosted signer: the calls every SDK makes first.
curl -s -H "Authorization: Bearer {{.Key}}" \
  "{{.BaseURL}}/discover-orchestrators?caps={{.Capability}}"
curl -s -X POST -H "Authorization: Bearer {{.Key}}" -H "Content-Type: application/json" \
  -d '{}' "{{.BaseURL}}/sign-orchestrator-info"

# The same settings as one gateway token (Python: start_lv2v(..., token=TOKEN);
# Go: livepeer.Config{Token: TOKEN}). It is base64 of this JSON:
#   {{.TokenJSON}}
TOKEN="{{.Token}}"
`

// Snippets is every snippet of a workflow for one form state, rendered
// with the key and token placeholders.
type Snippets struct {
	Go     string `json:"go"`
	Python string `json:"python"`
	Curl   string `json:"curl"`
	// TokenJSON is the token's JSON with KeyPlaceholder, for the page to
	// fill in the key and base64-encode (standard alphabet, padded).
	TokenJSON string `json:"tokenJSON"`
}

// Render renders w's snippets for d with the placeholders (d.Key is
// ignored).
func Render(w *Workflow, d SnippetData) (Snippets, error) {
	d.Key = KeyPlaceholder
	if d.Prompt2 == "" {
		d.Prompt2 = "a watercolor painting"
	}
	g, err := RenderGo(w, d)
	if err != nil {
		return Snippets{}, err
	}
	tj := TokenJSON(d.BaseURL, KeyPlaceholder)
	data := snippetView{SnippetData: d, Title: w.Title, Capability: w.CapabilityName(d.ModelID), ParamsPy: pyDictLiteral(d.Params), Token: TokenPlaceholder, TokenJSON: tj}
	py, err := execTemplate(pythonSnippet, data)
	if err != nil {
		return Snippets{}, err
	}
	c, err := execTemplate(curlSnippet, data)
	if err != nil {
		return Snippets{}, err
	}
	return Snippets{Go: g, Python: py, Curl: c, TokenJSON: tj}, nil
}

// snippetView is what the templates see.
type snippetView struct {
	SnippetData
	Title      string
	Capability string
	Go         GoParams
	ParamsPy   string
	Token      string
	TokenJSON  string
}

func execTemplate(src string, v snippetView) (string, error) {
	t, err := template.New("snippet").Parse(src)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// RenderGo renders w's Go snippet for d, gofmt-ed.
func RenderGo(w *Workflow, d SnippetData) (string, error) {
	if d.Prompt2 == "" {
		d.Prompt2 = "a watercolor painting"
	}
	gp := GoParams{Value: goMapLiteral(d.Params), Next: fmt.Sprintf(`next := map[string]any{}
for k, v := range params {
	next[k] = v
}
next["prompt"] = %q`, d.Prompt2)}
	if w.Typed != nil {
		var err error
		if gp, err = w.Typed.Go(d.Params, d.Prompt2); err != nil {
			return "", err
		}
	}
	src, err := execTemplate(goSnippet, snippetView{SnippetData: d, Title: w.Title, Capability: w.CapabilityName(d.ModelID), Go: gp})
	if err != nil {
		return "", err
	}
	out, err := format.Source([]byte(src))
	if err != nil {
		return "", fmt.Errorf("workflow: snippet does not parse: %w", err)
	}
	return string(out), nil
}

// goMapLiteral writes params as a map[string]any literal, keys sorted.
func goMapLiteral(params map[string]any) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("map[string]any{\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%q: %s,\n", k, goValue(params[k]))
	}
	b.WriteString("}")
	return b.String()
}

func goValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case float64:
		s := fmt.Sprintf("%v", x)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case []int64:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = fmt.Sprint(it)
		}
		return "[]int{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = goValue(it)
		}
		return "[]any{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyDictLiteral writes params as a Python dict literal, keys sorted, one per
// line. JSON values are Python literals except true/false/null.
func pyDictLiteral(params map[string]any) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		fmt.Fprintf(&b, "    %s: %s,\n", kb, pyValue(params[k]))
	}
	b.WriteString("}")
	return b.String()
}

func pyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = pyValue(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return pyDictLiteral(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "None"
	}
	return string(b)
}

// Token returns the base64 gateway token for key: the same settings as the
// Go snippet, in the form the Python SDK (and livepeer.ParseToken) accept.
func Token(baseURL, key string) string {
	auth := map[string]string{"Authorization": "Bearer " + key}
	return livepeer.Token{Signer: baseURL, SignerHeaders: auth, Discovery: baseURL + "/discover-orchestrators", DiscoveryHeaders: auth}.Encode()
}

// TokenJSON is the decoded token (for the page to fill in the key and
// base64-encode in the browser).
func TokenJSON(baseURL, key string) string {
	auth := map[string]string{"Authorization": "Bearer " + key}
	b, _ := json.Marshal(map[string]any{"signer": baseURL, "discovery": baseURL + "/discover-orchestrators", "signer_headers": auth, "discovery_headers": auth})
	return string(b)
}
