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
// page knows it (the page substitutes the key it was shown at creation).
const KeyPlaceholder = "YOUR_PLAYGROUND_KEY"

// SnippetData fills a snippet template.
type SnippetData struct {
	BaseURL string         // the playground's URL: signer and discovery base
	Key     string         // the personal key (or KeyPlaceholder)
	ModelID string         // e.g. "streamdiffusion"
	Params  map[string]any // the full parameter set the page started with
	// Prompt2 is the prompt the snippet switches to after a few output
	// segments (the page's "change the prompt" step); default "a watercolor painting".
	Prompt2 string
}

// goSnippet is the Go program the card shows. It makes the calls the page's
// server makes for the browser: NewGateway on the hosted signer, Live,
// publish H.264 MPEG-TS segments, read the output, send the full parameter
// set on the control channel.
const goSnippet = `// Run: go run . (needs ffmpeg for the test pattern; go get github.com/livepeer/livepeer-go-gateway)
package main

import (
	"context"
	"fmt"
	"log"
	"os/signal"
	"os"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/media"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

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

	// The full parameter set: every control message replaces all of it.
	params := {{.ParamsGo}}
	sess, err := gw.Live(ctx, {{printf "%q" (print .Capability "/" .ModelID)}}, params)
	if err != nil {
		log.Fatal(err) // errors.Is(err, livepeer.ErrInsufficientBalance): out of trial credit
	}
	defer sess.Close()

	// Camera stand-in: an ffmpeg test pattern, cut into one MPEG-TS segment per GOP.
	src, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 512, Height: 512, Realtime: true})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	go media.Resegment(ctx, src, media.SinkFunc(sess.NextSegment), media.ResegmentOptions{})

	n := 0
	for seg, err := range sess.Subscribe(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		seg.Close()
		n++
		fmt.Println("output segment", n)
		if n == 3 {
			params["prompt"] = {{printf "%q" .Prompt2}}
			if err := sess.Control(ctx, params); err != nil {
				log.Fatal(err)
			}
		}
		if n == 6 {
			break
		}
	}
	fmt.Println("done:", n, "output segments")
}
`

// RenderGo renders w's Go snippet for d, gofmt-ed.
func RenderGo(w *Workflow, d SnippetData) (string, error) {
	if d.Prompt2 == "" {
		d.Prompt2 = "a watercolor painting"
	}
	t, err := template.New("go").Parse(goSnippet)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err = t.Execute(&buf, struct {
		SnippetData
		Capability string
		ParamsGo   string
	}{d, w.Capability, goMapLiteral(d.Params)})
	if err != nil {
		return "", err
	}
	out, err := format.Source(buf.Bytes())
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
