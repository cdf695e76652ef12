package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
)

// paramFlag collects repeatable --param k=v flags.
type paramFlag []string

func (p *paramFlag) String() string     { return strings.Join(*p, " ") }
func (p *paramFlag) Set(v string) error { *p = append(*p, v); return nil }

// parseParam reads one k=v: v is JSON when it parses as JSON (numbers,
// true, null, "quoted", {"objects"}), else the text itself, so
// prompt=a cat and strength=0.5 both do what they say.
func parseParam(s string) (string, any, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return "", nil, fmt.Errorf("want k=v (a name, =, a value), got %q", s)
	}
	v = strings.TrimSpace(v)
	var j any
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	if v != "" && dec.Decode(&j) == nil && !dec.More() {
		return k, j, nil
	}
	return k, v, nil
}

// parseParamLine reads one line typed during a live session: a JSON
// object (merged key by key into the parameters) or one k=v.
func parseParamLine(line string) (map[string]any, error) {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "{") {
		var obj map[string]any
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		if dec.More() {
			return nil, errors.New("more than one JSON object on the line")
		}
		return obj, nil
	}
	k, v, err := parseParam(line)
	if err != nil {
		return nil, err
	}
	return map[string]any{k: v}, nil
}

// paramUpdates reads stdin line by line and, for each parameter change,
// merges it into the parameter set and sends the full set with update
// (a control message on live-video-to-video, POST /ai/stream/update on a
// BYOC stream). Bad lines are reported on msgs (each message starting
// with brk, a line break when a progress line is being redrawn) and
// skipped. It returns at ctx's end or stdin's EOF.
//
// The read itself cannot be interrupted (a terminal read blocks until a
// line comes): lines go through a channel from a goroutine that ends at
// EOF or with the process, and the sending loop ends with ctx.
func paramUpdates(ctx context.Context, stdin io.Reader, params map[string]any, update func(context.Context, map[string]any) error, msgs io.Writer, brk string) {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	cur := maps.Clone(params)
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return
		case line, ok = <-lines:
			if !ok {
				return
			}
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		change, err := parseParamLine(line)
		if err != nil {
			fmt.Fprintf(msgs, "%slpgw: ignored %q: %v (type k=v or a JSON object)\n", brk, line, err)
			continue
		}
		next := maps.Clone(cur)
		if next == nil {
			next = map[string]any{}
		}
		maps.Copy(next, change)
		if err := update(ctx, next); err != nil {
			if ctx.Err() != nil {
				return
			}
			fmt.Fprintf(msgs, "%slpgw: parameter change not sent: %v\n", brk, err)
			continue
		}
		cur = next
		b, _ := json.Marshal(cur)
		fmt.Fprintf(msgs, "%slpgw: parameters now %s\n", brk, bytes.TrimSpace(b))
	}
}
