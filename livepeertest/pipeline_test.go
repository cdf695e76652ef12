package livepeertest

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/media"
)

func liveNeedFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not in PATH")
	}
}

// liveTestSegments returns d of 320×180 test pattern as GOP-aligned MPEG-TS
// segments (1 s GOPs).
func liveTestSegments(t testing.TB, d time.Duration) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := media.StartTestPattern(ctx, media.TestPatternOptions{Width: 320, Height: 180, FPS: 30, Duration: d,
		Encode: media.EncodeOptions{KeyframeInterval: time.Second}})
	require.NoError(t, err)
	defer p.Close()
	var sink media.BufferSink
	_, err = media.Resegment(ctx, p, &sink, media.ResegmentOptions{})
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	return sink.Segments()
}

// pipeMemStream wires a PipelineStream to in-memory segments.
type pipeMemStream struct {
	mu     sync.Mutex
	out    media.BufferSink
	events []map[string]any
	evCh   chan map[string]any
}

func newPipeMemStream(in [][]byte, params map[string]any, beforeSeg func(i int)) (*PipelineStream, *pipeMemStream) {
	m := &pipeMemStream{evCh: make(chan map[string]any, 64)}
	i := 0
	ps := &PipelineStream{ID: "test", Model: "m", Params: params, control: make(chan map[string]any, 8)}
	ps.input = func(ctx context.Context) (io.ReadCloser, error) {
		if i >= len(in) {
			return nil, io.EOF
		}
		if beforeSeg != nil {
			beforeSeg(i)
		}
		r := io.NopCloser(bytes.NewReader(in[i]))
		i++
		return r, nil
	}
	ps.output = m.out.NextSegment
	ps.emit = func(ctx context.Context, ev map[string]any) error {
		m.mu.Lock()
		m.events = append(m.events, ev)
		m.mu.Unlock()
		select {
		case m.evCh <- ev:
		default:
		}
		return nil
	}
	return ps, m
}

func TestPassthroughCopiesSegments(t *testing.T) {
	in := [][]byte{[]byte("segment-0"), []byte("segment-1"), bytes.Repeat([]byte{7}, 100<<10)}
	ps, m := newPipeMemStream(in, nil, nil)
	require.NoError(t, Passthrough().Run(context.Background(), ps))
	assert.Equal(t, in, m.out.Segments())
	inN, outN, _ := ps.counts()
	assert.Equal(t, 3, inN)
	assert.Equal(t, 3, outN)
	require.NotEmpty(t, m.events)
	assert.Equal(t, "status", m.events[0]["type"])
}

func TestTransformNegatesThenFollowsControl(t *testing.T) {
	liveNeedFFmpeg(t)
	in := liveTestSegments(t, 4*time.Second)
	require.GreaterOrEqual(t, len(in), 3)
	var ps *PipelineStream
	var m *pipeMemStream
	ps, m = newPipeMemStream(in, map[string]any{"effect": "negate"}, func(i int) {
		if i != 2 {
			return
		}
		ps.deliverControl(context.Background(), []byte(`{"keep":"alive"}`))
		ps.deliverControl(context.Background(), []byte(`{"effect":"none"}`))
		// Wait until the pipeline acknowledged it, so the switch happens here.
		for ev := range m.evCh {
			if ev["type"] == "params_update" {
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, Transform(TransformConfig{}).Run(ctx, ps))

	_, _, ctl := ps.counts()
	assert.Equal(t, 1, ctl, "keepalives are not control messages")
	inFrames, err := GrayFrames(ctx, bytes.Join(in, nil), 32, 18)
	require.NoError(t, err)
	outFrames, err := GrayFrames(ctx, bytes.Join(m.out.Segments(), nil), 32, 18)
	require.NoError(t, err)
	require.Len(t, outFrames, len(inFrames), "every frame comes out")
	// Segments 0 and 1 (2 s) were negated, the rest passed unchanged.
	assert.Less(t, Correlation(inFrames[10], outFrames[10]), -0.9)
	assert.Less(t, Correlation(inFrames[45], outFrames[45]), -0.9)
	last := len(inFrames) - 5
	assert.Greater(t, Correlation(inFrames[last], outFrames[last]), 0.9)
}

func TestFilterFor(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
		err    bool
	}{
		{map[string]any{}, "negate", false},
		{map[string]any{"effect": "none"}, "", false},
		{map[string]any{"effect": "hue", "hue": 45.0}, "hue=h=45.0", false},
		{map[string]any{"effect": "hue", "hue": "x;rm"}, "", true},
		{map[string]any{"effect": "drawtext=text=hi"}, "", true},
		{map[string]any{"effect": "hue", "hue": 400.0}, "hue=h=40.0", false},
	} {
		got, err := filterFor(tc.params)
		if tc.err {
			assert.Error(t, err, tc.params)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
	a, _ := filterFor(map[string]any{"prompt": "a cat"})
	b, _ := filterFor(map[string]any{"prompt": "a dog"})
	assert.Contains(t, a, "hue=h=")
	assert.NotEqual(t, a, b, "different prompts give different hues")
}
