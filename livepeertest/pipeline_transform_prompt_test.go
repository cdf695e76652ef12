package livepeertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookForFollowsPromptWords(t *testing.T) {
	for prompt, want := range map[string]string{
		"a desert at sunset":          "warm tint",
		"An OCEAN at night":           "cool tint",
		"flowers":                     "rose tint",
		"a pencil sketch of a forest": "pencil sketch", // the earliest keyword wins
		"film noir detective":         "black and white",
		"cyberpunk city":              "neon",
		"a watercolor painting":       "soft paint",
	} {
		assert.Equal(t, want, LookFor(prompt).Name, prompt)
	}
	weighted := []any{[]any{"a frozen lake in winter", 0.7}, []any{"cat", 0.3}}
	assert.Equal(t, "cool tint", LookFor(weighted).Name, "weighted prompts are read by their texts")
	a, b := LookFor("a cat"), LookFor("a dog")
	assert.True(t, strings.HasPrefix(a.Filter, "hue=h="), a.Filter)
	assert.NotEqual(t, a, b, "prompts without keywords still get a look of their own")
	assert.True(t, strings.HasPrefix(a.Name, "hue "))
}

func TestCaptionWrapsAndTruncates(t *testing.T) {
	c := caption(LookFor("ocean"), strings.Repeat("waves crashing on rocks ", 20)+strings.Repeat("x", 80))
	lines := strings.Split(c, "\n")
	require.Len(t, lines, 1+captionLines)
	assert.Equal(t, "simulated StreamDiffusion · cool tint", lines[0])
	for _, l := range lines[1:] {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), captionWidth, l)
	}
	assert.True(t, strings.HasSuffix(lines[len(lines)-1], "…"))
	assert.True(t, utf8.ValidString(caption(LookFor("é"), strings.Repeat("é", 100))), "cut at rune boundaries")
}

func TestTextOverlayKeepsPromptOutOfTheFilter(t *testing.T) {
	dir := t.TempDir()
	evil := `x':drawtext=text=pwn,[in]%{pts};movie=/etc/passwd`
	vf, err := textOverlay(dir, 1, evil)
	require.NoError(t, err)
	require.NotEmpty(t, vf)
	assert.NotContains(t, vf, "pwn", "the prompt reaches ffmpeg only through the file")
	assert.Contains(t, vf, "expansion=none")
	b, err := os.ReadFile(filepath.Join(dir, "caption-1.txt"))
	require.NoError(t, err)
	assert.Equal(t, evil, string(b))
	vf, err = textOverlay(filepath.Join(dir, "a:b"), 2, "x")
	require.NoError(t, err)
	assert.Empty(t, vf, "a path that would need escaping is not used")
}

// meanRGB decodes the last frame of ts at w×h and returns the mean colour
// of rows [y0, y1).
func meanRGB(t *testing.T, ts []byte, w, h, y0, y1 int) [3]float64 {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "mpegts", "-i", "pipe:0",
		"-vf", "scale="+strconv.Itoa(w)+":"+strconv.Itoa(h), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")
	cmd.Stdin = bytes.NewReader(ts)
	out, err := cmd.Output()
	require.NoError(t, err)
	frame := w * h * 3
	require.GreaterOrEqual(t, len(out), frame)
	last := out[len(out)-frame:]
	var sum [3]float64
	for y := y0; y < y1; y++ {
		for x := range w {
			for c := range 3 {
				sum[c] += float64(last[(y*w+x)*3+c])
			}
		}
	}
	n := float64((y1 - y0) * w)
	return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
}

func runTransform(t *testing.T, in [][]byte, opts TransformConfig, prompt string) []byte {
	t.Helper()
	ps, m := newPipeMemStream(in, map[string]any{"prompt": prompt}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, Transform(opts).Run(ctx, ps))
	return bytes.Join(m.out.Segments(), nil)
}

// TestTransformShowsThePrompt: the simulated StreamDiffusion tints the video
// by the prompt's words and draws the prompt on it.
func TestTransformShowsThePrompt(t *testing.T) {
	liveNeedFFmpeg(t)
	in := liveTestSegments(t, 2*time.Second)
	ocean := runTransform(t, in, TransformConfig{}, "an ocean at night")
	plain := runTransform(t, in, TransformConfig{NoCaption: true}, "an ocean at night")

	const w, h = 64, 36
	o := meanRGB(t, plain, w, h, 0, h)
	d := meanRGB(t, runTransform(t, in, TransformConfig{NoCaption: true}, "a desert at sunset"), w, h, 0, h)
	t.Logf("mean RGB: ocean %v, desert %v", o, d)
	assert.Greater(t, o[2], o[0]+20, "an ocean prompt turns the video blue")
	assert.Greater(t, d[0], d[2]+20, "a desert prompt turns it warm")

	// The caption sits at the bottom: there the captioned output differs
	// from the plain one, at the top it does not.
	diff := func(y0, y1 int) float64 {
		a, b := meanRGB(t, ocean, w, h, y0, y1), meanRGB(t, plain, w, h, y0, y1)
		return abs(a[0]-b[0]) + abs(a[1]-b[1]) + abs(a[2]-b[2])
	}
	top, bottom := diff(0, h/3), diff(h-h/4, h)
	t.Logf("caption difference: top %.1f, bottom %.1f", top, bottom)
	if !drawtextWorks(context.Background(), TransformConfig{}.FFmpeg, t.TempDir()) {
		t.Skip("this ffmpeg cannot draw text (no drawtext or no font): the colour effect alone follows the prompt")
	}
	assert.Greater(t, bottom, 20.0, "the prompt is drawn at the bottom")
	assert.Less(t, top, 8.0, "the rest of the frame is the effect alone")
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
