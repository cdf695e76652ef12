package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

const runAbout = `Runs one job on CAPABILITY and prints its answer to stdout. CAPABILITY is
what the SDK's Gateway.Run serves: a BYOC capability ("text-reversal" or
"byoc/text-reversal"; lpgw orchestrators lists them). INPUT is the request as JSON: the argument itself, @FILE, or -
for stdin. The job is paid through the remote signer and fails over to
another orchestrator only while it was certainly not accepted.

  lpgw run text-reversal '{"text":"hello"}'                 # {"original":"hello","reversed":"olleh"}
  lpgw run text-reversal '{"text":"hello"}' --field reversed # olleh`

const streamAbout = `Runs one job on CAPABILITY whose worker answers server-sent events, and
prints each event's data as it arrives (one line each; --json prints whole
events as JSON lines). INPUT is as for lpgw run.

  lpgw stream token-stream '{"text":"one two three","count":5}'`

func (c *cli) runJob(ctx context.Context, args []string) error {
	fs := c.newFlagSet("run", "CAPABILITY INPUT [flags]", runAbout)
	var nf netFlags
	nf.register(fs)
	jobTimeout := fs.Duration("job-timeout", 0, "the job's timeout on the orchestrator (default 5m)")
	path := fs.String("path", "", "worker sub-path: POST /process/request/`PATH`")
	field := fs.String("field", "", "print only this top-level `field` of a JSON answer (strings unquoted)")
	output := fs.String("o", "", "write the answer to this `file` instead of stdout")
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	capability, input, err := jobArgs("run", pos, c)
	if err != nil {
		return err
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
	res, err := env.gw.Run(ctx, capability, input, opts...)
	if err != nil {
		return finish(ctx, err)
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
	path := fs.String("path", "", "worker sub-path: POST /process/request/`PATH`")
	asJSON := fs.Bool("json", false, "print each event as a JSON line {event, id, data}")
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	capability, input, err := jobArgs("stream", pos, c)
	if err != nil {
		return err
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
