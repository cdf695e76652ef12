package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// solid returns a w×h RGBA image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

// frameColour is the colour drawn for frame i: it changes every frame so
// the order of decoded frames can be checked.
func frameColour(i int) color.RGBA {
	return color.RGBA{R: uint8(40 + (i*7)%180), G: uint8(200 - (i*5)%160), B: uint8(60 + (i*11)%150), A: 255}
}

// meanColour averages the RGB of an RGBA image.
func meanColour(img *image.RGBA) (r, g, b float64) {
	n := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		r, g, b = r+float64(img.Pix[i]), g+float64(img.Pix[i+1]), b+float64(img.Pix[i+2])
		n++
	}
	return r / float64(n), g / float64(n), b / float64(n)
}

func near(t *testing.T, want color.RGBA, r, g, b float64, tol float64, msg string) {
	t.Helper()
	for i, p := range [][2]float64{{float64(want.R), r}, {float64(want.G), g}, {float64(want.B), b}} {
		if d := p[0] - p[1]; d > tol || d < -tol {
			t.Fatalf("%s: channel %d is %.1f, want %v ± %v (got %.1f %.1f %.1f)", msg, i, p[1], p[0], tol, r, g, b)
		}
	}
}

// tsSegments yields a BufferSink's segments as readers.
func tsSegments(segs [][]byte) iter.Seq2[io.Reader, error] {
	return func(yield func(io.Reader, error) bool) {
		for _, s := range segs {
			if !yield(bytes.NewReader(s), nil) {
				return
			}
		}
	}
}

func requireGone(t *testing.T, pid int) {
	t.Helper()
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "process %d is gone", pid)
}

// encodeFrames encodes n solid frames (frameColour) and returns the segments.
func encodeFrames(t *testing.T, n int, opts FrameEncoderOptions) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sink := &BufferSink{}
	enc, err := NewFrameEncoder(ctx, sink, opts)
	require.NoError(t, err)
	pid := enc.proc.Pid()
	for i := range n {
		require.NoError(t, enc.WriteImage(ctx, solid(opts.Width, opts.Height, frameColour(i))), "frame %d", i)
	}
	require.NoError(t, enc.Close())
	requireGone(t, pid)
	st := enc.Stats()
	require.EqualValues(t, n, st.FramesQueued)
	require.EqualValues(t, n, st.FramesWritten)
	require.Equal(t, n, st.Resegment.Segmenter.VideoFrames)
	require.Equal(t, sink.Closed(), len(sink.Segments()), "every segment closed")
	return sink.Segments()
}

func TestFrameEncoderDecoderRoundTrip(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	const n, w, h = 75, 96, 64
	segs := encodeFrames(t, n, FrameEncoderOptions{Width: w, Height: h, FrameRate: 25, Encode: EncodeOptions{KeyframeInterval: time.Second}})
	require.Len(t, segs, 3, "1 s GOPs at 25 fps: 25+25+25 frames")
	info := probe(t, bytes.Join(segs, nil))
	require.Empty(t, info.Errors)
	require.Equal(t, n, info.Video().Frames)
	require.Equal(t, w, info.Video().Width)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var frames []Frame
	for f, err := range DecodeFrames(ctx, tsSegments(segs), FrameDecoderOptions{}) {
		require.NoError(t, err)
		frames = append(frames, f)
	}
	require.Len(t, frames, n)
	for i, f := range frames {
		require.Equal(t, i, f.Index)
		require.Equal(t, image.Rect(0, 0, w, h), f.Image.Rect)
		r, g, b := meanColour(f.Image)
		near(t, frameColour(i), r, g, b, 6, fmt.Sprintf("frame %d", i))
		if i > 0 {
			require.Equal(t, int64(ClockRate/25), f.PTS-frames[i-1].PTS, "frame %d is 1/25 s after the previous", i)
		}
	}
}

func TestFrameEncoderYUV420AndRaw(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	const w, h = 64, 48
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sink := &BufferSink{}
	enc, err := NewFrameEncoder(ctx, sink, FrameEncoderOptions{Width: w, Height: h, PixelFormat: PixelYUV420})
	require.NoError(t, err)
	want := color.RGBA{R: 200, G: 40, B: 90, A: 255}
	// An RGBA image, a full-range 4:2:0 YCbCr image, a paletted image and raw
	// I420 bytes of the same colour all encode to that colour.
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	y, cb, cr := color.RGBToYCbCr(want.R, want.G, want.B)
	for i := range ycc.Y {
		ycc.Y[i] = y
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = cb, cr
	}
	pal := image.NewPaletted(image.Rect(10, 10, 10+w, 10+h), color.Palette{want})
	raw := make([]byte, PixelYUV420.FrameSize(w, h))
	rgbaToI420(raw, solid(w, h, want).Pix, w*4, w, h)
	for i := range 4 {
		require.NoError(t, enc.WriteImage(ctx, solid(w, h, want)), "rgba %d", i)
		require.NoError(t, enc.WriteImage(ctx, ycc), "ycbcr %d", i)
		require.NoError(t, enc.WriteImage(ctx, pal), "paletted %d", i)
		require.NoError(t, enc.WriteRaw(ctx, raw), "raw %d", i)
	}
	// Bad frames are refused and leave the encoder usable.
	require.ErrorIs(t, enc.WriteImage(ctx, nil), ErrInvalidFrame)
	require.ErrorIs(t, enc.WriteImage(ctx, solid(w+2, h, want)), ErrInvalidFrame)
	require.ErrorIs(t, enc.WriteRaw(ctx, raw[1:]), ErrInvalidFrame)
	require.NoError(t, enc.Close())
	require.ErrorIs(t, enc.WriteRaw(ctx, raw), ErrClosed)

	n := 0
	for f, err := range DecodeFrames(ctx, tsSegments(sink.Segments()), FrameDecoderOptions{Width: 32, Height: 24}) {
		require.NoError(t, err)
		require.Equal(t, 32, f.Image.Rect.Dx(), "scaled")
		r, g, b := meanColour(f.Image)
		near(t, want, r, g, b, 6, fmt.Sprintf("frame %d", f.Index))
		n++
	}
	require.Equal(t, 16, n)
}

func TestFrameEncoderOptionErrors(t *testing.T) {
	ctx := context.Background()
	for _, o := range []FrameEncoderOptions{{}, {Width: 63, Height: 48}, {Width: 64, Height: -2}, {Width: 64, Height: 48, FrameRate: -1},
		{Width: 64, Height: 48, PixelFormat: 9}} {
		_, err := NewFrameEncoder(ctx, &BufferSink{}, o)
		require.Error(t, err, "%+v", o)
	}
	_, err := NewFrameEncoder(ctx, nil, FrameEncoderOptions{Width: 64, Height: 48})
	require.Error(t, err)
	_, err = NewFrameDecoder(ctx, FrameDecoderOptions{Width: 64})
	require.Error(t, err)
}

func TestFramesFFmpegMissing(t *testing.T) {
	ctx := context.Background()
	missing := FFmpegOptions{Path: filepath.Join(t.TempDir(), "no-ffmpeg")}
	_, err := NewFrameEncoder(ctx, &BufferSink{}, FrameEncoderOptions{Width: 64, Height: 48, FFmpeg: missing})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
	_, err = NewFrameDecoder(ctx, FrameDecoderOptions{FFmpeg: missing})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
	for _, err := range DecodeFrames(ctx, tsSegments(nil), FrameDecoderOptions{FFmpeg: missing}) {
		require.ErrorIs(t, err, ErrFFmpegNotFound)
	}
}

// fakeFFmpeg writes a script that prints msg on stderr and exits 3.
func fakeFFmpeg(t *testing.T, msg string) FFmpegOptions {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ffmpeg")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\necho '"+msg+"' >&2\nexit 3\n"), 0o755))
	return FFmpegOptions{Path: path}
}

func TestFramesFFmpegFails(t *testing.T) {
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var pe *ProcessError

	enc, err := NewFrameEncoder(ctx, &BufferSink{}, FrameEncoderOptions{Width: 64, Height: 48, FFmpeg: fakeFFmpeg(t, "boom-enc")})
	require.NoError(t, err)
	var werr error
	for range 100 {
		if werr = enc.WriteImage(ctx, solid(64, 48, color.RGBA{A: 255})); werr != nil {
			break
		}
	}
	require.ErrorAs(t, werr, &pe, "a write fails once ffmpeg is gone")
	require.Contains(t, pe.Stderr, "boom-enc")
	require.ErrorAs(t, enc.Close(), &pe)

	dec, err := NewFrameDecoder(ctx, FrameDecoderOptions{FFmpeg: fakeFFmpeg(t, "boom-dec")})
	require.NoError(t, err)
	_, err = dec.ReadFrame(ctx)
	require.ErrorAs(t, err, &pe)
	require.Contains(t, pe.Stderr, "boom-dec")
	_, err = dec.ReadFrame(ctx)
	require.ErrorAs(t, err, &pe, "sticky")
	require.NoError(t, dec.Close())
}

// blockingSink's segment writers block until release is closed.
type blockingSink struct {
	release chan struct{}
	mu      sync.Mutex
	buf     BufferSink
}

type blockingWriter struct {
	s *blockingSink
	w io.WriteCloser
}

func (b blockingWriter) Write(p []byte) (int, error) {
	<-b.s.release
	return b.w.Write(p)
}
func (b blockingWriter) Close() error { return b.w.Close() }

func (s *blockingSink) NextSegment(ctx context.Context) (io.WriteCloser, error) {
	w, err := s.buf.NextSegment(ctx)
	if err != nil {
		return nil, err
	}
	return blockingWriter{s, w}, nil
}

// TestFrameEncoderBackpressure: a sink that stops accepting bytes stops the
// writes after a bounded number of frames; released, every accepted frame
// is delivered.
func TestFrameEncoderBackpressure(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	const w, h = 320, 240 // 300 KiB frames: the pipes hold none
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sink := &blockingSink{release: make(chan struct{})}
	var release sync.Once
	defer release.Do(func() { close(sink.release) })
	enc, err := NewFrameEncoder(ctx, sink, FrameEncoderOptions{Width: w, Height: h, QueueFrames: 2})
	require.NoError(t, err)
	accepted, blocked := 0, false
	for accepted < 300 {
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
		err := enc.WriteImage(wctx, solid(w, h, frameColour(accepted)))
		wcancel()
		if errors.Is(err, context.DeadlineExceeded) {
			blocked = true
			break
		}
		require.NoError(t, err)
		accepted++
	}
	require.True(t, blocked, "writes block while the sink does not accept bytes (accepted %d)", accepted)
	st := enc.Stats()
	require.LessOrEqual(t, st.FramesQueued-st.FramesWritten, int64(2+1), "at most QueueFrames frames wait, and one is being written")
	release.Do(func() { close(sink.release) })
	require.NoError(t, enc.WriteImage(ctx, solid(w, h, frameColour(accepted))), "usable after a cancelled write")
	accepted++
	require.NoError(t, enc.Close())
	info := probe(t, bytes.Join(sink.buf.Segments(), nil))
	require.Equal(t, accepted, info.Video().Frames, "every accepted frame was delivered")
}

// TestFrameEncoderCancel: cancelling the encoder's ctx kills ffmpeg.
func TestFrameEncoderCancel(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	ctx, cancel := context.WithCancel(context.Background())
	sink := &blockingSink{release: make(chan struct{})}
	enc, err := NewFrameEncoder(ctx, sink, FrameEncoderOptions{Width: 320, Height: 240})
	require.NoError(t, err)
	pid := enc.proc.Pid()
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			err = enc.WriteImage(context.Background(), solid(320, 240, color.RGBA{A: 255}))
		}
		writeErr <- err
	}()
	cancel()
	// The sink's writes do not watch ctx (the Segmenter gives them none):
	// once released they fail or finish, and everything ends.
	close(sink.release)
	require.ErrorIs(t, <-writeErr, context.Canceled, "a blocked write returns")
	require.ErrorIs(t, enc.Close(), context.Canceled)
	requireGone(t, pid)
}

// liveSegments encodes n frames and yields them as one segment per GOP.
func liveSegments(t *testing.T, n int) [][]byte {
	return encodeFrames(t, n, FrameEncoderOptions{Width: 160, Height: 120, FrameRate: 30, Encode: EncodeOptions{KeyframeInterval: time.Second}})
}

// patternSegments returns 10 s of a moving 320x240 test pattern at 4 Mbit/s
// (much more than the pipes and ffmpeg's probe buffer hold), one segment per
// second.
func patternSegments(t *testing.T) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	src, err := StartTestPattern(ctx, TestPatternOptions{Width: 320, Height: 240, FPS: 30, Duration: 10 * time.Second,
		Encode: EncodeOptions{KeyframeInterval: time.Second, Bitrate: 4_000_000}})
	require.NoError(t, err)
	defer src.Close()
	sink := &BufferSink{}
	_, err = Resegment(ctx, src, sink, ResegmentOptions{})
	require.NoError(t, err)
	require.NoError(t, src.Wait())
	require.Len(t, sink.Segments(), 10)
	return sink.Segments()
}

// TestFrameDecoderBackpressure: frames not read stop ffmpeg, and then the
// input; reading resumes both.
func TestFrameDecoderBackpressure(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	segs := patternSegments(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dec, err := NewFrameDecoder(ctx, FrameDecoderOptions{})
	require.NoError(t, err)
	defer dec.Close()
	fed := 0
	for fed < len(segs) {
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
		err := dec.WriteSegment(wctx, bytes.NewReader(segs[fed]))
		wcancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		require.NoError(t, err)
		fed++
	}
	require.Less(t, fed, len(segs), "input blocks while frames are not read")
	fed++ // the interrupted segment went in part way; go on with the next

	// A cancelled read returns at once; the next one gets frame 0.
	done, stop := context.WithCancel(ctx)
	stop()
	_, err = dec.ReadFrame(done)
	require.ErrorIs(t, err, context.Canceled)

	var frames int
	readDone := make(chan error, 1)
	go func() {
		last := int64(-1)
		for f, err := range dec.Frames(ctx) {
			if err != nil {
				readDone <- err
				return
			}
			if f.Index != frames || f.PTS <= last {
				readDone <- fmt.Errorf("frame %d (PTS %d) after %d frames (PTS %d)", f.Index, f.PTS, frames, last)
				return
			}
			last = f.PTS
			frames++
		}
		readDone <- nil
	}()
	for ; fed < len(segs); fed++ {
		require.NoError(t, dec.WriteSegment(ctx, bytes.NewReader(segs[fed])))
	}
	require.NoError(t, dec.CloseInput())
	require.NoError(t, <-readDone)
	require.GreaterOrEqual(t, frames, 270, "every segment but the interrupted one, and its part that went in")
	require.LessOrEqual(t, frames, 300)
	_, err = dec.ReadFrame(ctx)
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, dec.Close())
	requireGone(t, dec.proc.Pid())
}

// TestDecodeFramesStops: breaking out of the loop, cancelling ctx or a
// segment source error all end ffmpeg.
func TestDecodeFramesStops(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	segs := liveSegments(t, 60)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("break", func(t *testing.T) {
		n := 0
		for _, err := range DecodeFrames(ctx, tsSegments(segs), FrameDecoderOptions{}) {
			require.NoError(t, err)
			if n++; n == 5 {
				break
			}
		}
	})
	t.Run("cancel", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		defer ccancel()
		n := 0
		var last error
		for _, err := range DecodeFrames(cctx, tsSegments(segs), FrameDecoderOptions{}) {
			if err != nil {
				last = err
				break
			}
			if n++; n == 3 {
				ccancel()
			}
		}
		require.ErrorIs(t, last, context.Canceled)
	})
	t.Run("source error", func(t *testing.T) {
		boom := errors.New("boom")
		src := func(yield func(io.Reader, error) bool) {
			if yield(bytes.NewReader(segs[0]), nil) && yield(bytes.NewReader([]byte("not ts")), nil) {
				yield(nil, boom)
			}
		}
		n := 0
		var last error
		for _, err := range DecodeFrames(ctx, src, FrameDecoderOptions{}) {
			if err != nil {
				last = err
				break
			}
			n++
		}
		require.ErrorIs(t, last, boom)
		require.Equal(t, 30, n, "the frames of the segment before the error are yielded first")
	})
}
