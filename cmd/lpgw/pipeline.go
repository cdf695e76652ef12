package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/aipipeline"
)

// maxFileBytes bounds a file a pipeline request names with "@path" (1 GiB,
// the most a pipeline result may be too: aipipeline.MaxMediaBytes).
const maxFileBytes = aipipeline.MaxMediaBytes

// pipelineCapability returns the built-in AI pipeline a Run/Stream
// capability names, as Gateway.Run tells them apart ("<pipeline>/<model>";
// a bare "upscale" is BYOC), and false for other kinds or a malformed one
// (which the SDK then refuses with its own error).
func pipelineCapability(capability string) (aipipeline.Capability, bool) {
	s := strings.TrimSpace(capability)
	if !strings.Contains(s, "/") || !aipipeline.IsPipelineCapability(s) {
		return aipipeline.Capability{}, false
	}
	c, err := aipipeline.ParseCapability(s)
	return c, err == nil
}

// pipelineInput is the request to hand the SDK for pipeline c: the JSON as
// it is, except that the file field ("image", "audio") may name a local
// file as "@path", which is read and sent as a livepeer.File (the input
// then goes as a map[string]any, numbers kept exact). In JSON a file is a
// data: URL string otherwise (the SDK's rule); "@path" is this command's.
func pipelineInput(c aipipeline.Capability, raw json.RawMessage) (any, error) {
	ff := c.Pipeline.FileField()
	if ff == "" {
		return raw, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return raw, nil // not an object: the SDK says why
	}
	s, ok := m[ff].(string)
	if !ok || !strings.HasPrefix(s, "@") {
		return raw, nil
	}
	path := s[1:]
	data, err := readFileBounded(path, maxFileBytes)
	if err != nil {
		return nil, &inputError{what: fmt.Sprintf("%q of the input", ff), err: err}
	}
	m[ff] = livepeer.File{Name: filepath.Base(path), Data: data}
	return m, nil
}

// readFileBounded reads a whole file of at most limit bytes.
func readFileBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, limit>>20)
	}
	return b, nil
}

// pipelineOutput is how run prints a pipeline's answer.
type pipelineOutput struct {
	output  string // -o: the file for the media (several: name-1.ext, name-2.ext...) or the text; "-" stdout
	field   string // --field of the (described) JSON answer
	asJSON  bool   // --json: the (described) JSON answer whatever the pipeline
	verbose bool
}

// printPipeline prints a pipeline's answer. Media (images, video, audio)
// are written to the -o file(s), fetched from the orchestrator or decoded
// from their data: URLs; without -o the answer's JSON is printed with
// every data: URL described (its media type and size) instead of its bytes
// and relative URLs made absolute, so no binary reaches a terminal. Text
// answers (llm, audio-to-text, image-to-text) print as text; masks
// (segment-anything-2) as the answer's JSON.
func (c *cli) printPipeline(ctx context.Context, res *livepeer.Result, o pipelineOutput) error {
	p := res.Pipeline()
	if o.verbose {
		fmt.Fprintf(c.stderr, "lpgw: %s ran on %s: %d units, fee %s\n", p.Capability, p.Orchestrator, p.Units, feeString(p.Fee))
	}
	media := p.Images
	if p.Audio != nil {
		media = []livepeer.Media{*p.Audio}
	}
	if len(media) > 0 && o.output != "" && !o.asJSON && o.field == "" {
		return c.writeMedia(ctx, media, o.output)
	}
	text, isText := pipelineText(p)
	if !isText || o.asJSON || o.field != "" {
		described, err := describeMediaJSON(p.Body, p.Orchestrator)
		if err != nil {
			return fmt.Errorf("the orchestrator's answer: %w", err)
		}
		text = string(described)
		if o.field != "" {
			b, err := jsonField(described, o.field)
			if err != nil {
				return err
			}
			text = string(b)
		}
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if o.output != "" && o.output != "-" {
		return os.WriteFile(o.output, []byte(text), 0o644)
	}
	_, err := io.WriteString(c.stdout, text)
	return err
}

// pipelineText is the answer of a text pipeline.
func pipelineText(p *livepeer.PipelineResult) (string, bool) {
	switch {
	case p.LLM != nil:
		return p.LLM.Text(), true
	case p.Text != nil:
		return p.Text.Text, true
	case p.ImageText != nil:
		return p.ImageText.Text, true
	}
	return "", false
}

// writeMedia writes each media file: the first to output, the next ones to
// output with "-1", "-2"... before its extension (fox.png, fox-1.png);
// "-" writes the only one to stdout, unless stdout is a terminal.
func (c *cli) writeMedia(ctx context.Context, media []livepeer.Media, output string) error {
	if output == "-" {
		if len(media) > 1 {
			return &usageError{cmd: "run", msg: fmt.Sprintf("-o -: the answer has %d files; give a file name (NAME.ext writes NAME.ext, NAME-1.ext...)", len(media))}
		}
		if isTerminal(c.stdout) {
			return &usageError{cmd: "run", msg: "-o -: stdout is a terminal; pipe it or give a file name"}
		}
	}
	for i, m := range media {
		b, err := m.Bytes(ctx)
		if err != nil {
			return fmt.Errorf("fetching result %d of %d: %w", i+1, len(media), err)
		}
		if output == "-" {
			_, err = c.stdout.Write(b)
			return err
		}
		name := mediaName(output, i)
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "lpgw: wrote %s (%d bytes)\n", name, len(b))
	}
	return nil
}

// mediaName is the file of the i-th result: output, then output with
// "-i" before its extension.
func mediaName(output string, i int) string {
	if i == 0 {
		return output
	}
	ext := filepath.Ext(output)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(output, ext), i, ext)
}

// describeMediaJSON re-encodes an orchestrator's JSON answer (indented,
// keys sorted) with each data: URL string replaced by a description
// ("data:image/png;base64,… (12345 bytes; -o FILE saves it)") and each
// relative "url" made absolute against the orchestrator's URL.
func describeMediaJSON(body []byte, orchestrator string) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	base, _ := url.Parse(orchestrator)
	var walk func(v any, key string) any
	walk = func(v any, key string) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e, k)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e, key)
			}
		case string:
			if strings.HasPrefix(x, "data:") {
				return describeDataURL(x)
			}
			if key == "url" && base != nil && base.Host != "" {
				if u, err := url.Parse(x); err == nil && !u.IsAbs() && x != "" {
					return base.ResolveReference(u).String()
				}
			}
		}
		return v
	}
	return json.MarshalIndent(walk(v, ""), "", "  ")
}

// describeDataURL stands for a data: URL's bytes: its head, and the size
// the payload decodes to.
func describeDataURL(s string) string {
	head, payload, _ := strings.Cut(s, ",")
	n := len(payload)
	if strings.HasSuffix(head, ";base64") {
		n = len(strings.TrimRight(payload, "=")) * 3 / 4
	}
	return fmt.Sprintf("%s,… (%d bytes; -o FILE saves it)", head, n)
}

// feeString renders a pipeline fee in wei ("?" when the price was not known).
func feeString(fee *big.Rat) string {
	if fee == nil {
		return "?"
	}
	return formatWei(fee)
}

// printLLMStream prints an LLM stream's text as its chunks arrive, then a
// line on stderr: the token usage, why it finished, what was paid.
func (c *cli) printLLMStream(ctx context.Context, st *livepeer.Stream) error {
	ended := true // the output ends a line
	for ch, err := range st.LLMChunks(ctx) {
		if err != nil {
			if !ended {
				fmt.Fprintln(c.stdout)
			}
			return err
		}
		if t := ch.Text(); t != "" {
			if _, err := io.WriteString(c.stdout, t); err != nil {
				return err
			}
			ended = strings.HasSuffix(t, "\n")
		}
	}
	if !ended {
		fmt.Fprintln(c.stdout)
	}
	p := st.Pipeline()
	usage := "no usage reported"
	if u, ok := p.Usage(); ok {
		usage = fmt.Sprintf("%d prompt + %d completion = %d tokens", u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	}
	fmt.Fprintf(c.stderr, "lpgw: %s; finish_reason %s; paid %d units (%s) on %s\n", usage, p.FinishReason(), p.Units, feeString(p.Fee), st.Orchestrator())
	return nil
}
