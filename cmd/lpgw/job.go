package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/aipipeline"
)

const runAbout = `Runs one job on CAPABILITY and prints its answer to stdout. INPUT is the
request as JSON: the argument itself, @FILE, or - for stdin. CAPABILITY is
what the SDK's Gateway.Run serves (lpgw orchestrators and lpgw runners list
them):

  a BYOC capability ("text-reversal" or "byoc/text-reversal"): the
  worker's answer is printed as it is.

    lpgw run text-reversal '{"text":"hello"}'                 # {"original":"hello","reversed":"olleh"}
    lpgw run text-reversal '{"text":"hello"}' --field reversed # olleh

  a built-in AI pipeline ("PIPELINE/MODEL": text-to-image, image-to-image,
  image-to-video, upscale, audio-to-text, segment-anything-2, llm,
  image-to-text, text-to-speech), INPUT with ai-runner's field names. An
  image or audio input ("image", "audio") is "@PATH" for a local file, or a
  data: URL. Images, video and audio are written with -o (several: NAME.ext,
  NAME-1.ext...); without -o the answer's JSON is printed with each file's
  URL, or its data: URL described instead of its bytes. Text answers (llm,
  audio-to-text, image-to-text) print as text; --json prints the JSON.

    lpgw run text-to-image/stabilityai/sdxl-turbo '{"prompt":"a red fox","width":512,"height":512}' -o fox.png
    lpgw run upscale/stabilityai/stable-diffusion-x4-upscaler '{"prompt":"sharp","image":"@fox.png"}' -o big.png
    lpgw run audio-to-text/openai/whisper-large-v3 '{"audio":"@talk.wav"}'
    lpgw run text-to-speech/parler-tts/parler-tts-large-v1 '{"text":"hello"}' -o hello.wav

  a live-runner app ("runner/APP", or "APP" when its first part is no
  pipeline name, e.g. "toy/echo"): INPUT is POSTed to the app at --path.

    lpgw run runner/toy/echo '{"hello":"runner"}' --path echo/hi

The job is paid through the remote signer and fails over to another
orchestrator only while it was certainly not accepted (AI pipelines: while
nothing was charged).`

const streamAbout = `Runs one job on CAPABILITY whose worker answers server-sent events, and
prints each event's data as it arrives (one line each; --json prints whole
events as JSON lines). INPUT is as for lpgw run.

  lpgw stream token-stream '{"text":"one two three","count":5}'

On a built-in llm pipeline the answer's text is printed as its tokens
arrive, then a line on stderr with the token usage, why it finished and what
was paid (--json prints each chunk's JSON instead):

  lpgw stream llm/meta-llama/llama-3.1-8B-Instruct '{"messages":[{"role":"user","content":"hi"}],"max_tokens":64}'`

func (c *cli) runJob(ctx context.Context, args []string) error {
	fs := c.newFlagSet("run", "CAPABILITY INPUT [flags]", runAbout)
	var nf netFlags
	nf.register(fs)
	jobTimeout := fs.Duration("job-timeout", 0, "the job's timeout on the orchestrator (default 5m)")
	path := fs.String("path", "", "BYOC worker sub-path (POST /process/request/`PATH`), or the path on a runner app")
	field := fs.String("field", "", "print only this top-level `field` of a JSON answer (strings unquoted)")
	output := fs.String("o", "", "write the answer to this `file` instead of stdout (AI pipelines: the image, video or audio; several: NAME-1.ext...)")
	asJSON := fs.Bool("json", false, "AI pipelines: print the answer's JSON (media described, not their bytes) instead of text or files")
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	capability, input, err := jobArgs("run", pos, c)
	if err != nil {
		return err
	}
	var req any = input
	if pc, ok := pipelineCapability(capability); ok {
		if *path != "" {
			return &usageError{cmd: "run", msg: "--path does not apply to the built-in AI pipelines (the pipeline is the path)"}
		}
		if req, err = pipelineInput(pc, input); err != nil {
			return err
		}
	}
	ctx, cancel := nf.bound(ctx)
	defer cancel()
	env, err := c.open(ctx, &nf, nil)
	if err != nil {
		return finish(ctx, err)
	}
	defer env.Close()
	opts, err := jobOptions(*jobTimeout, *path)
	if err != nil {
		return err
	}
	res, err := env.gw.Run(ctx, capability, req, opts...)
	if err != nil {
		return finish(ctx, err)
	}
	if res.Pipeline() != nil {
		return finish(ctx, c.printPipeline(ctx, res, pipelineOutput{output: *output, field: *field, asJSON: *asJSON, verbose: nf.verbose}))
	}
	if nf.verbose {
		fmt.Fprintf(c.stderr, "lpgw: job %s ran on %s (%s, %d bytes); balance %s wei\n", res.JobID, res.Orchestrator, res.ContentType, len(res.Body), balanceString(res.Balance))
	}
	out := res.Body
	if *field != "" {
		if out, err = jsonField(res.Body, *field); err != nil {
			return err
		}
	}
	if *output != "" {
		return os.WriteFile(*output, out, 0o644)
	}
	if _, err := c.stdout.Write(out); err != nil {
		return err
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		fmt.Fprintln(c.stdout)
	}
	return nil
}

func (c *cli) streamJob(ctx context.Context, args []string) error {
	fs := c.newFlagSet("stream", "CAPABILITY INPUT [flags]", streamAbout)
	var nf netFlags
	nf.register(fs)
	jobTimeout := fs.Duration("job-timeout", 0, "the job's timeout on the orchestrator, which ends the stream (default 5m)")
	path := fs.String("path", "", "BYOC worker sub-path (POST /process/request/`PATH`), or the path on a runner app")
	asJSON := fs.Bool("json", false, "print each event as a JSON line {event, id, data}")
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	capability, input, err := jobArgs("stream", pos, c)
	if err != nil {
		return err
	}
	if pc, ok := pipelineCapability(capability); ok {
		switch {
		case pc.Pipeline != aipipeline.LLM:
			return &usageError{cmd: "stream", msg: fmt.Sprintf("%s answers once: use lpgw run (of the built-in AI pipelines only llm streams)", pc.Pipeline)}
		case *path != "":
			return &usageError{cmd: "stream", msg: "--path does not apply to the built-in AI pipelines (the pipeline is the path)"}
		}
	}
	ctx, cancel := nf.bound(ctx)
	defer cancel()
	env, err := c.open(ctx, &nf, nil)
	if err != nil {
		return finish(ctx, err)
	}
	defer env.Close()
	opts, err := jobOptions(*jobTimeout, *path)
	if err != nil {
		return err
	}
	st, err := env.gw.Stream(ctx, capability, input, opts...)
	if err != nil {
		return finish(ctx, err)
	}
	defer st.Close()
	if st.Pipeline() != nil && !*asJSON {
		return finish(ctx, c.printLLMStream(ctx, st))
	}
	n := 0
	for ev, err := range st.Events(ctx) {
		if err != nil {
			return finish(ctx, err)
		}
		n++
		if *asJSON {
			line, _ := json.Marshal(map[string]string{"event": ev.Event, "id": ev.ID, "data": ev.Data})
			fmt.Fprintf(c.stdout, "%s\n", line)
		} else {
			fmt.Fprintln(c.stdout, ev.Data)
		}
	}
	if nf.verbose {
		fmt.Fprintf(c.stderr, "lpgw: %d events from %s; balance %s wei\n", n, st.Orchestrator(), balanceString(st.Balance()))
	}
	return nil
}

// jobArgs checks CAPABILITY INPUT and reads the input.
func jobArgs(cmd string, pos []string, c *cli) (string, json.RawMessage, error) {
	if len(pos) != 2 {
		return "", nil, &usageError{cmd: cmd, msg: fmt.Sprintf("want CAPABILITY INPUT, got %d argument(s)", len(pos))}
	}
	capability := strings.TrimSpace(pos[0])
	if capability == "" {
		return "", nil, &usageError{cmd: cmd, msg: "empty CAPABILITY"}
	}
	input, err := readInput(pos[1], c.stdin)
	return capability, input, err
}

func jobOptions(timeout time.Duration, path string) ([]livepeer.CallOption, error) {
	var opts []livepeer.CallOption
	if timeout < 0 {
		return nil, &usageError{cmd: "run", msg: "--job-timeout must not be negative"}
	}
	if timeout > 0 {
		opts = append(opts, livepeer.WithTimeout(timeout))
	}
	if path != "" {
		opts = append(opts, livepeer.WithPath(path))
	}
	return opts, nil
}

// jsonField returns one top-level field of a JSON object: a string
// unquoted, anything else as JSON.
func jsonField(body []byte, field string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("--field %s: the answer is not a JSON object: %w", field, err)
	}
	v, ok := obj[field]
	if !ok {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		return nil, fmt.Errorf("--field %s: the answer has no such field (it has %s)", field, strings.Join(keys, ", "))
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []byte(s), nil
	}
	return v, nil
}
