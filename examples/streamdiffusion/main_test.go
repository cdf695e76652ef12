package main

import (
	"bytes"
	"context"
	"io"
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

// recorder is a passthrough pipeline that keeps the control messages.
type recorder struct {
	mu   sync.Mutex
	msgs []map[string]any
}

func (r *recorder) Run(ctx context.Context, s *livepeertest.PipelineStream) error {
	go func() {
		for m := range s.Control() {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
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

// Two stdin lines become two control messages, each the full parameter set.
func TestStreamDiffusionControlCarriesFullSet(t *testing.T) {
	needFFmpeg(t)
	rec := &recorder{}
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		Live: livepeertest.LiveConfig{Pipelines: map[string]livepeertest.Pipeline{"streamdiffusion-sdxl": rec}}})
	require.NoError(t, err)
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "out.ts")
	var stdout, stderr bytes.Buffer
	stdin := strings.NewReader("a red fox\n{\"seed\": 7, \"guidance_scale\": 1.5}\n{\"delta\": 9}\n")
	require.NoError(t, run(ctx, []string{"-token", n.Token(), "-capability", "live-video-to-video/streamdiffusion-sdxl", "-prompt", "a cat", "-seed", "42",
		"-duration", "2s", "-o", out}, stdin, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "not sent: delta must be between 0.1 and 3, got 9")

	streams := n.Live()[0].Streams()
	require.Len(t, streams, 1)
	full := func(prompt string, seed, guidance float64) map[string]any {
		return map[string]any{
			"model_id": "stabilityai/sdxl-turbo", "prompt": prompt, "negative_prompt": "blurry, low quality, flat, 2d",
			"guidance_scale": guidance, "delta": 0.7, "num_inference_steps": float64(50), "t_index_list": []any{float64(36)}, "seed": seed,
		}
	}
	assert.Equal(t, full("a cat", 42, 1), streams[0].Params, "start parameters")
	require.Eventually(t, func() bool { return len(rec.messages()) == 2 }, 5*time.Second, 20*time.Millisecond)
	msgs := rec.messages()
	assert.Equal(t, full("a red fox", 42, 1), msgs[0])
	assert.Equal(t, full("a red fox", 7, 1.5), msgs[1])
}

func TestStreamDiffusionValidation(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-capability", "live-video-to-video/sd3"}, "-capability must be live-video-to-video/streamdiffusion or live-video-to-video/streamdiffusion-sdxl"},
		{[]string{"-guidance-scale", "5"}, "guidance_scale must be between 0.1 and 3, got 5"},
		{[]string{"-delta", "0"}, "delta must be between 0.1 and 3"},
		{[]string{"-num-inference-steps", "0"}, "num_inference_steps must be between 1 and 100"},
		{[]string{"-t-index-list", "12,60"}, "t_index_list values must be between 0 and num_inference_steps (50), got 60 at index 1"},
		{[]string{"-t-index-list", "20,12"}, "t_index_list must be non-decreasing"},
		{[]string{"-t-index-list", "1,2,3,4,5"}, "t_index_list must have between 1 and 4 values, got 5"},
		{[]string{"-t-index-list", "a"}, "t_index_list must be comma-separated integers"},
		{[]string{"-prompt", " "}, "prompt must not be empty"},
	} {
		err := run(context.Background(), c.args, strings.NewReader(""), io.Discard, io.Discard)
		require.Error(t, err, c.args)
		assert.Contains(t, err.Error(), c.want, c.args)
	}
}

func TestChangeRejectsModelID(t *testing.T) {
	p := Params{ModelID: "stabilityai/sd-turbo", Prompt: "x", GuidanceScale: 1, Delta: 0.7, NumInferenceSteps: 50, TIndexList: []int{12}}
	_, err := change(p, `{"model_id":"stabilityai/sdxl-turbo"}`)
	require.ErrorContains(t, err, "model_id cannot change")
	_, err = change(p, `{"strength":1}`)
	require.ErrorContains(t, err, "unknown field")
	next, err := change(p, `{"t_index_list":[3,4]}`)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 4}, next.TIndexList)
	assert.Equal(t, []int{12}, p.TIndexList, "the current set is not modified")
}
