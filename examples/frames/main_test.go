package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var frameLine = regexp.MustCompile(`(?m)^frame +(\d+)  sent #(\d+) +pts \S+ +mean rgb\( *(\d+), *(\d+), *(\d+)\)  latency (\S+)$`)

func TestFramesInProcess(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	const n, w, h = 100, 160, 96
	require.NoError(t, run(ctx, []string{"-n", strconv.Itoa(n), "-size", fmt.Sprintf("%dx%d", w, h)}, &out), out.String())
	s := out.String()
	assert.Contains(t, s, "in-process Livepeer network")
	lines := frameLine.FindAllStringSubmatch(s, -1)
	require.Len(t, lines, n, "the noop pipeline returns every frame:\n%s", s)
	ref := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, m := range lines {
		require.Equal(t, strconv.Itoa(i), m[1])
		require.Equal(t, strconv.Itoa(i), m[2], "frames come back in order, each with its index")
		drawFrame(ref, i)
		want := meanColour(ref)
		for c, v := range []uint8{want.R, want.G, want.B} {
			got, _ := strconv.Atoi(m[3+c])
			assert.InDelta(t, int(v), got, 8, "frame %d channel %d: the picture came through", i, c)
		}
		d, err := time.ParseDuration(m[6])
		require.NoError(t, err)
		require.Positive(t, d)
	}
	require.Regexp(t, `received 100 of 100 frames; end-to-end latency p50 \S+, p90 \S+, max \S+`, s)
}

func TestFramesFlags(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"-h"}, &out))
	assert.Contains(t, out.String(), "in-process Livepeer network")
	for _, args := range [][]string{{"-size", "7x7"}, {"-size", "big"}, {"-n", "0"}, {"-fps", "0"}, {"-bogus"}} {
		err := run(ctx, args, &bytes.Buffer{})
		require.Error(t, err, "%v", args)
		assert.NotContains(t, err.Error(), "\n", "one-line error")
	}
}

func TestFrameIndexCode(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 40))
	for _, i := range []int{0, 1, 2, 255, 256, 1000, 65535} {
		drawFrame(img, i)
		got, ok := readIndex(img)
		require.True(t, ok, "frame %d", i)
		require.Equal(t, i, got)
	}
	for y := range 4 { // a grey block is not a bit
		for x := range 4 {
			img.Pix[img.PixOffset(x, y+codeHeight/4)] = 128
		}
	}
	for x := range 4 {
		for y := range codeHeight {
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 128, 128, 128
		}
	}
	_, ok := readIndex(img)
	require.False(t, ok)
}
