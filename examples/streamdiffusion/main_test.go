package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/media"
	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skip(b + " not in PATH")
		}
	}
}

func TestStreamDiffusionInProcess(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-duration", "2s", "-o", "-"}, strings.NewReader("a red fox\n"), &stdout, &stderr))
	assert.Contains(t, stderr.String(), "in-process network")
	assert.Contains(t, stderr.String(), `"prompt":"a red fox"`)
	info, err := media.FFprobe(ctx, "", bytes.NewReader(stdout.Bytes()), media.FFprobeOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Video())
	assert.GreaterOrEqual(t, info.Video().Frames, 57) // 60 sent, within 5 %
}

// Each stdin change that is valid and allowed mid-stream becomes one
// control message with the whole parameter set; bad values, output size
// changes and no-ops are not sent; a reload is sent with a warning; an error
// the pipeline reports in a status event is printed.
func TestStreamDiffusionControlCarriesFullSet(t *testing.T) {
	needFFmpeg(t)
	rec := &recorder{failOn: "lora_dict"}
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		Live: livepeertest.LiveConfig{Pipelines: map[string]livepeertest.Pipeline{"streamdiffusion-sdxl": rec}}})
	require.NoError(t, err)
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr bytes.Buffer
	stdin := strings.NewReader(strings.Join([]string{
		"a red fox",
		`{"seed": 7, "guidance_scale": 1.5}`,
		`{"num_inference_steps": 0}`,
		`{"width": 768}`,
		`{"strength": 1}`,
		"",
		`{"seed": 7}`,
		`{"lora_dict": {"our/grain-lora": 0.5}}`,
	}, "\n") + "\n")
	require.NoError(t, run(ctx, []string{"-token", n.Token(), "-capability", "live-video-to-video/streamdiffusion-sdxl", "-prompt", "a cat", "-seed", "42",
		"-duration", "3s", "-o", out}, stdin, &stdout, &stderr))
	log := stderr.String()
	assert.Contains(t, log, "not sent: streamdiffusion: invalid params: num_inference_steps: 0 not allowed: want 1–100")
	assert.Contains(t, log, "not sent: ai-runner refuses a change of width mid-stream")
	assert.Contains(t, log, `not sent: streamdiffusion: strength: 1 not allowed: want no such field`)
	assert.Contains(t, log, "warning: changing lora_dict reloads the pipeline")
	assert.Contains(t, log, "pipeline error: Error reloading pipeline: no such LoRA")

	streams := n.Live()[0].Streams()
	require.Len(t, streams, 1)
	full := func(prompt string, seed float64, extra map[string]any) map[string]any {
		m := map[string]any{"model_id": "stabilityai/sdxl-turbo", "prompt": prompt, "t_index_list": []any{float64(36)}, "seed": seed}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	assert.Equal(t, full("a cat", 42, nil), streams[0].Params, "start parameters: the flags given, the capability's model and steps")
	require.Eventually(t, func() bool { return len(rec.messages()) == 3 }, 10*time.Second, 20*time.Millisecond)
	msgs := rec.messages()
	assert.Equal(t, full("a red fox", 42, nil), msgs[0])
	assert.Equal(t, full("a red fox", 7, map[string]any{"guidance_scale": 1.5}), msgs[1])
	assert.Equal(t, full("a red fox", 7, map[string]any{"guidance_scale": 1.5, "lora_dict": map[string]any{"our/grain-lora": 0.5}}), msgs[2])
}

// recorder is a passthrough pipeline that keeps the control messages and,
// for a message with the field failOn, reports an error in a status event
// as ai-runner does (status.py inference_status.last_error).
type recorder struct {
	failOn string
	mu     sync.Mutex
	msgs   []map[string]any
}

func (r *recorder) Run(ctx context.Context, s *livepeertest.PipelineStream) error {
	go func() {
		for m := range s.Control() {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
			if _, ok := m[r.failOn]; ok && r.failOn != "" {
				_ = s.Emit(ctx, map[string]any{"type": "status", "state": "ERROR",
					"inference_status": map[string]any{"last_error": "Error reloading pipeline: no such LoRA", "last_error_time": 1700000000123}})
			}
		}
	}()
	for {
		in, err := s.NextInput(ctx)
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		out, err := s.NextOutput(ctx)
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

func (r *recorder) messages() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.msgs...)
}

// Bad flags fail before anything starts, with the streamdiffusion
// package's error: the field, the value and the range.
func TestStreamDiffusionValidation(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"prompt": "x", "strength": 1}`), 0o644))
	for _, c := range []struct {
		args    []string
		want    string
		invalid bool // a *streamdiffusion.FieldError
	}{
		{[]string{"-capability", "live-video-to-video/sd3"}, "-capability must be live-video-to-video/streamdiffusion or live-video-to-video/streamdiffusion-sdxl", false},
		{[]string{"-num-inference-steps", "0"}, "num_inference_steps: 0 not allowed: want 1–100", true},
		{[]string{"-t-index-list", "12,60"}, "t_index_list[1]: 60 not allowed: want 0–num_inference_steps (50)", true},
		{[]string{"-num-inference-steps", "30", "-t-index-list", "12,40"}, "t_index_list[1]: 40 not allowed: want 0–num_inference_steps (30)", true},
		{[]string{"-t-index-list", "20,12"}, "t_index_list[1]: 12 not allowed: want at least 20 (non-decreasing)", true},
		{[]string{"-t-index-list", "1,2,3,4,5"}, "t_index_list: [1 2 3 4 5] not allowed: want 1–4 values", true},
		{[]string{"-width", "500"}, "width: 500 not allowed: want 384–1024, a multiple of 64", true},
		{[]string{"-model", "runwayml/stable-diffusion-v1-5"}, `model_id: "runwayml/stable-diffusion-v1-5" not allowed: want one of "stabilityai/sd-turbo"`, true},
		{[]string{"-controlnet", "xinsir/controlnet-depth-sdxl-1.0=0.5"}, `controlnets[0].model_id: "xinsir/controlnet-depth-sdxl-1.0" not allowed: want a ControlNet for stabilityai/sd-turbo (sd21)`, true},
		{[]string{"-params", bad}, "strength: 1 not allowed: want no such field", true},
		{[]string{"-t-index-list", "a"}, `invalid value "a" for flag -t-index-list: want comma-separated integers`, false},
		{[]string{"-guidance-scale", "x"}, `invalid value "x" for flag -guidance-scale: want a number`, false},
		{[]string{"-controlnet", "a=b"}, `invalid value "a=b" for flag -controlnet`, false},
	} {
		err := run(context.Background(), c.args, strings.NewReader(""), io.Discard, io.Discard)
		require.Error(t, err, c.args)
		assert.Contains(t, err.Error(), c.want, c.args)
		var fe *streamdiffusion.FieldError
		assert.Equal(t, c.invalid, errors.As(err, &fe), c.args)
		assert.Equal(t, c.invalid, errors.Is(err, streamdiffusion.ErrInvalidParams), c.args)
	}
}

// The start set is the -params file, then the capability's model and
// steps where the file has none, then the flags, whatever their order.
func TestBuildParams(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"prompt": "from the file", "delta": 0.5,
		"controlnets": [{"model_id": "xinsir/controlnet-canny-sdxl-1.0", "conditioning_scale": 0.2}]}`), 0o644))
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var pf paramFlags
	pf.register(fs)
	require.NoError(t, fs.Parse([]string{"-guidance-scale", "2", "-params", file, "-controlnet", "xinsir/controlnet-depth-sdxl-1.0=0.7", "-seed", "9"}))
	p, err := pf.build("streamdiffusion-sdxl")
	require.NoError(t, err)
	b, err := p.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"model_id":"stabilityai/sdxl-turbo","prompt":"from the file","guidance_scale":2.0,"delta":0.5,"t_index_list":[36],"seed":9,`+
		`"controlnets":[{"model_id":"xinsir/controlnet-canny-sdxl-1.0","conditioning_scale":0.2},{"model_id":"xinsir/controlnet-depth-sdxl-1.0","conditioning_scale":0.7}]}`, string(b))

	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	pf = paramFlags{}
	pf.register(fs)
	require.NoError(t, fs.Parse([]string{"-model", "Lykon/dreamshaper-8"}))
	p, err = pf.build("streamdiffusion")
	require.NoError(t, err)
	b, _ = p.MarshalJSON()
	assert.Equal(t, `{"model_id":"Lykon/dreamshaper-8"}`, string(b), "unset fields are left to ai-runner's defaults")
}

func TestChange(t *testing.T) {
	cur := streamdiffusion.Params{ModelID: streamdiffusion.DreamShaper8, Prompt: streamdiffusion.PromptText("x"), TIndexList: []int{12},
		ControlNets: []streamdiffusion.ControlNet{{ModelID: streamdiffusion.ControlNetSD15Depth, ConditioningScale: streamdiffusion.Float(0.5)}}}
	for _, c := range []struct {
		line   string
		effect streamdiffusion.Effect
		json   string // the whole new set
		err    string
	}{
		{"a fox", streamdiffusion.Live, `{"model_id":"Lykon/dreamshaper-8","prompt":"a fox","t_index_list":[12],"controlnets":[{"model_id":"lllyasviel/control_v11f1p_sd15_depth","conditioning_scale":0.5}]}`, ""},
		{`{"t_index_list":[3,4]}`, streamdiffusion.Live, `{"model_id":"Lykon/dreamshaper-8","prompt":"x","t_index_list":[3,4],"controlnets":[{"model_id":"lllyasviel/control_v11f1p_sd15_depth","conditioning_scale":0.5}]}`, ""},
		{`{"controlnets":[{"model_id":"lllyasviel/control_v11f1p_sd15_depth","conditioning_scale":0.9}]}`, streamdiffusion.Live, "", ""},
		{`{"controlnets":[]}`, streamdiffusion.Reload, "", ""},
		{`{"model_id":"prompthero/openjourney-v4"}`, streamdiffusion.Reload, "", ""},
		{`{"prompt":[["a",1],["b",1]]}`, streamdiffusion.Live, "", ""},
		{`{"height":768}`, streamdiffusion.Rejected, "", ""},
		{`{"image_postprocessing":{"processors":[{"type":"upscale"}]}}`, streamdiffusion.Rejected, "", ""},
		{`{"prompt":"x"}`, 0, "", ""},
		{"  ", 0, "", ""},
		{`{"model_id":"stabilityai/sd-turbo"}`, 0, "", `controlnets[0].model_id: "lllyasviel/control_v11f1p_sd15_depth" not allowed: want a ControlNet for stabilityai/sd-turbo (sd21)`},
		{`{"seed":"x"}`, 0, "", "seed: "},
		{`{"seed":`, 0, "", "bad JSON line"},
	} {
		next, ch, err := change(cur, c.line)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.line)
			assert.Equal(t, cur, next, "a refused line leaves the set as it was")
			continue
		}
		require.NoError(t, err, c.line)
		assert.Equal(t, c.effect, ch.Effect(), c.line)
		if c.json != "" {
			b, _ := next.MarshalJSON()
			assert.Equal(t, c.json, string(b), c.line)
		}
	}
	assert.Equal(t, []int{12}, cur.TIndexList, "the current set is not modified")
}
