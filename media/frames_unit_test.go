package media

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The frame lines of ffmpeg 5.1's showinfo (as FrameDecoder logs them),
// and an ffmpeg 7 line, which adds duration and colour fields.
const showinfoLog = `[info] Input #0, mpegts, from 'pipe:0':
[info]   Stream #0:0[0x100]: Video: h264 (Constrained Baseline), yuv420p(progressive), 64x48, 30 fps
[Parsed_showinfo_2 @ 0x557ba7579580] [info] config in time_base: 1/90000, frame_rate: 30/1
[Parsed_showinfo_2 @ 0x557ba7579580] [info] n:   0 pts: 126000 pts_time:1.4     pos:      564 fmt:rgba sar:1/1 s:64x48 i:P iskey:1 type:I 
[Parsed_showinfo_2 @ 0x557ba7579580] [info]   side data - User Data Unregistered:
[Parsed_showinfo_2 @ 0x557ba7579580] [info] User Data=` + "78323634" + `
[h264 @ 0x5600] [error] error while decoding MB 3 2
[Parsed_showinfo_2 @ 0x557ba7579580] [info] n:   1 pts: 129000 pts_time:1.43333 pos:     2820 fmt:rgba sar:1/1 s:64x48 i:P iskey:0 type:P 
[Parsed_showinfo_0 @ 0x6000] [info] n:  12 pts:NOPTS pts_time:NOPTS duration:   3000 duration_time:0.0333333 fmt:rgba cl:unspecified sar:1/1 s:1280x720 i:P iskey:0 type:P
[warning] something odd
`

func TestShowinfoParser(t *testing.T) {
	for _, step := range []int{1, 7, 64, len(showinfoLog)} {
		infos := make(chan frameInfo, 8)
		var tail bytes.Buffer
		p := &showinfoParser{tail: &tail, infos: infos, quit: make(chan struct{})}
		for b := []byte(showinfoLog); len(b) > 0; {
			n := min(step, len(b))
			m, err := p.Write(b[:n])
			require.NoError(t, err)
			require.Equal(t, n, m)
			b = b[n:]
		}
		close(infos)
		var got []frameInfo
		for fi := range infos {
			got = append(got, fi)
		}
		require.Equal(t, []frameInfo{
			{n: 0, pts: 126000, hasPTS: true, w: 64, h: 48},
			{n: 1, pts: 129000, hasPTS: true, w: 64, h: 48},
			{n: 12, w: 1280, h: 720},
		}, got, "step %d", step)
		require.Equal(t, "[h264 @ 0x5600] [error] error while decoding MB 3 2\n[warning] something odd\n", tail.String(),
			"errors and warnings reach the tail, info lines do not")
	}
}

func TestShowinfoParserLongLineAndQuit(t *testing.T) {
	var tail bytes.Buffer
	quit := make(chan struct{})
	p := &showinfoParser{tail: &tail, infos: make(chan frameInfo), quit: quit}
	long := "[error] " + strings.Repeat("x", 3*maxStderrLine) + "\n"
	_, _ = p.Write([]byte(long))
	require.Len(t, tail.String(), maxStderrLine+1, "a long line is cut")
	close(quit) // nobody reads infos: the write must not block once quit
	done := make(chan struct{})
	go func() {
		_, _ = p.Write([]byte("[Parsed_showinfo_0 @ 0x1] [info] n:   0 pts:      0 pts_time:0 fmt:rgba s:2x2 i:P\n"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("parser blocked after quit")
	}
}

// TestRGBAToI420 checks the fixed-point BT.601 conversion against the
// floating-point limited-range formulas.
func TestRGBAToI420(t *testing.T) {
	cols := []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {200, 40, 90, 255}, {13, 128, 250, 255}}
	for _, c := range cols {
		img := solid(4, 2, c)
		out := make([]byte, PixelYUV420.FrameSize(4, 2))
		rgbaToI420(out, img.Pix, img.Stride, 4, 2)
		r, g, b := float64(c.R), float64(c.G), float64(c.B)
		y := 16 + (65.481*r+128.553*g+24.966*b)/255
		u := 128 + (-37.797*r-74.203*g+112*b)/255
		v := 128 + (112*r-93.786*g-18.214*b)/255
		for i := range 8 {
			require.InDelta(t, y, float64(out[i]), 1, "Y of %v", c)
		}
		require.InDelta(t, u, float64(out[8]), 1, "U of %v", c)
		require.InDelta(t, u, float64(out[9]), 1, "U of %v", c)
		require.InDelta(t, v, float64(out[10]), 1, "V of %v", c)
	}
	require.Equal(t, byte(16), lumaFullToLimited[0])
	require.Equal(t, byte(235), lumaFullToLimited[255])
	require.Equal(t, byte(16), chromaFullToLimited[0])
	require.Equal(t, byte(128), chromaFullToLimited[128])
	require.Equal(t, byte(240), chromaFullToLimited[255])
}

// TestFillRGBASubImage: a sub-image (Bounds not at the origin, Stride wider
// than the row) is copied row by row.
func TestFillRGBASubImage(t *testing.T) {
	big := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range big.Pix {
		big.Pix[i] = byte(i)
	}
	sub := big.SubImage(image.Rect(2, 3, 6, 5)).(*image.RGBA)
	dst := make([]byte, 4*2*4)
	fillRGBA(dst, 4, 2, sub)
	for y := range 2 {
		for x := range 4 {
			require.Equal(t, big.Pix[big.PixOffset(2+x, 3+y):big.PixOffset(2+x, 3+y)+4], dst[(y*4+x)*4:(y*4+x)*4+4])
		}
	}
}

func TestFrameEncoderNoFrames(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sink := &BufferSink{}
	enc, err := NewFrameEncoder(ctx, sink, FrameEncoderOptions{Width: 32, Height: 32})
	require.NoError(t, err)
	require.NoError(t, enc.Close())
	require.Empty(t, sink.Segments())
}
