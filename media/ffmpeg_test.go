package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireReaped checks that the process is gone (not even a zombie).
func requireReaped(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	default:
		t.Fatal("process not reaped")
	}
	require.ErrorIs(t, syscall.Kill(p.Pid(), 0), syscall.ESRCH)
}

func TestResegmentTestPattern(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	src, err := StartTestPattern(ctx, TestPatternOptions{Width: 160, Height: 120, FPS: 30, Duration: 5 * time.Second,
		Encode: EncodeOptions{KeyframeInterval: time.Second}})
	require.NoError(t, err)
	defer src.Close()

	sink := &BufferSink{}
	st, err := Resegment(ctx, src, sink, ResegmentOptions{})
	require.NoError(t, err)
	require.NoError(t, src.Wait())
	require.NoError(t, src.Close())
	requireReaped(t, src)

	segs := sink.Segments()
	require.Len(t, segs, 5)
	require.Equal(t, 150, st.Segmenter.VideoFrames)
	total := 0
	for i, s := range segs {
		info := probe(t, s)
		require.Empty(t, info.Errors, "segment %d decodes cleanly", i)
		v := info.Video()
		require.NotNil(t, v)
		require.Equal(t, "h264", v.CodecName)
		require.Equal(t, 160, v.Width)
		require.Equal(t, 30, v.Frames, "segment %d", i)
		total += v.Frames
	}
	require.Equal(t, 150, total)
	all := bytes.Join(segs, nil)
	require.Zero(t, tsContinuityErrors(all))
	info := probe(t, all)
	require.Empty(t, info.Errors)
	require.Equal(t, 150, info.Video().Frames)
}

func TestAACPassthrough(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	src, err := StartTestPattern(ctx, TestPatternOptions{Width: 128, Height: 96, FPS: 25, Duration: 3 * time.Second, Audio: true,
		Encode: EncodeOptions{KeyframeInterval: time.Second}})
	require.NoError(t, err)
	defer src.Close()
	raw, err := io.ReadAll(src)
	require.NoError(t, err)
	require.NoError(t, src.Wait())
	in := probe(t, raw)
	require.NotNil(t, in.Audio())

	sink := &BufferSink{}
	st, err := Resegment(ctx, bytes.NewReader(raw), sink, ResegmentOptions{})
	require.NoError(t, err)
	require.Positive(t, st.Segmenter.AudioFrames)
	segs := sink.Segments()
	require.Len(t, segs, 3)
	audioFrames := 0
	for i, s := range segs {
		info := probe(t, s)
		require.Empty(t, info.Errors, "segment %d", i)
		a := info.Audio()
		require.NotNil(t, a, "segment %d has audio", i)
		require.Equal(t, "aac", a.CodecName)
		require.Equal(t, 48000, a.SampleRate)
		require.Equal(t, 1, a.Channels)
		audioFrames += a.Frames
	}
	// Audio frames before the first video keyframe are dropped by design.
	require.InDelta(t, in.Audio().Frames, audioFrames, 3)
	require.Equal(t, in.Video().Frames, 75)

	// Demuxing gives the same AAC frames byte for byte.
	inPk, _ := readAll(t, raw)
	var outPk []Packet
	for _, s := range segs {
		pk, _ := readAll(t, s)
		outPk = append(outPk, pk...)
	}
	a, b := filterCodec(inPk, CodecAAC), filterCodec(outPk, CodecAAC)
	b0 := len(a) - len(b)
	require.GreaterOrEqual(t, b0, 0)
	for i := range b {
		require.Equal(t, a[b0+i].Data, b[i].Data)
		require.Equal(t, a[b0+i].PTS, b[i].PTS)
	}
}

func TestContinuousWriter(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	in, audio := testdataPackets(t)
	ctx := context.Background()
	// Two independent producers (as after a reconnect): both start at the same
	// timestamps and have their own continuity counters.
	var segs [][]byte
	for range 2 {
		sink := &BufferSink{}
		seg, err := NewSegmenter(sink, SegmenterOptions{Audio: audio})
		require.NoError(t, err)
		for _, p := range in {
			require.NoError(t, seg.WritePacket(ctx, p))
		}
		require.NoError(t, seg.Close())
		segs = append(segs, sink.Segments()...)
	}
	require.Len(t, segs, 6)
	require.Positive(t, tsContinuityErrors(bytes.Join(segs, nil)), "naive concatenation breaks CCs")

	var out bytes.Buffer
	cw := NewContinuousWriter(&out, ContinuousOptions{})
	for _, s := range segs {
		require.NoError(t, cw.WriteSegment(ctx, bytes.NewReader(s)))
	}
	// A garbage segment is rejected and skipped.
	require.ErrorIs(t, cw.WriteSegment(ctx, bytes.NewReader([]byte("garbage"))), ErrInvalidStream)
	require.NoError(t, cw.Close())
	require.NoError(t, cw.Close())
	require.ErrorIs(t, cw.WriteSegment(ctx, bytes.NewReader(segs[0])), ErrClosed)

	ts := out.Bytes()
	require.Zero(t, tsContinuityErrors(ts))
	pk, _ := readAll(t, ts)
	requireMonotonic(t, pk)
	require.Equal(t, 180, len(filterCodec(pk, CodecH264)))

	path := filepath.Join(t.TempDir(), "out.ts")
	require.NoError(t, os.WriteFile(path, ts, 0o600))
	info, err := FFprobe(ctx, path, nil, FFprobeOptions{})
	require.NoError(t, err)
	require.Empty(t, info.Errors)
	require.Equal(t, "mpegts", info.FormatName)
	require.Equal(t, "h264", info.Video().CodecName)
	require.Equal(t, 180, info.Video().Frames)
	require.InDelta(t, 6.0, info.Duration, 0.2)
}

func TestProcessCloseAndCancel(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)

	// Close while ffmpeg is producing an endless stream.
	p, err := StartTestPattern(context.Background(), TestPatternOptions{Width: 64, Height: 48, Realtime: true})
	require.NoError(t, err)
	buf := make([]byte, 188)
	_, err = io.ReadFull(p, buf)
	require.NoError(t, err)
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	requireReaped(t, p)
	_, err = p.Read(buf)
	require.Error(t, err)

	// Close while another goroutine is blocked reading.
	p, err = StartTestPattern(context.Background(), TestPatternOptions{Width: 64, Height: 48, Realtime: true})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := io.Copy(io.Discard, p)
		// EOF when the read sees the process die first, ErrClosed when
		// Close has already released the pipe (a loaded machine).
		if err != nil {
			assert.ErrorIs(t, err, ErrClosed)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, p.Close())
	wg.Wait()
	requireReaped(t, p)

	// Cancelling ctx kills and reaps the process even before Close.
	ctx, cancel := context.WithCancel(context.Background())
	p, err = StartTestPattern(ctx, TestPatternOptions{Width: 64, Height: 48, Realtime: true})
	require.NoError(t, err)
	cancel()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("process not stopped by ctx cancel")
	}
	require.ErrorIs(t, p.Wait(), context.Canceled)
	requireReaped(t, p)
	require.NoError(t, p.Close())

	// Resegment stops when ctx is cancelled, closing the source.
	ctx, cancel = context.WithCancel(context.Background())
	p, err = StartTestPattern(ctx, TestPatternOptions{Width: 64, Height: 48, Realtime: true})
	require.NoError(t, err)
	sink := &BufferSink{}
	done := make(chan error, 1)
	go func() {
		_, err := Resegment(ctx, p, sink, ResegmentOptions{})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Resegment did not return after cancel")
	}
	require.NoError(t, p.Close())
	requireReaped(t, p)
}

func TestFFmpegNotFound(t *testing.T) {
	ff := FFmpegOptions{Path: "/nonexistent/ffmpeg"}
	_, err := StartTestPattern(context.Background(), TestPatternOptions{FFmpeg: ff})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
	_, err = StartFile(context.Background(), "x.mp4", FileOptions{FFmpeg: ff})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
	_, err = StartCamera(context.Background(), "/dev/video0", CameraOptions{FFmpeg: ff})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
	_, err = StartFilter(context.Background(), FilterOptions{FFmpeg: ff})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
	_, err = FFprobe(context.Background(), "x.ts", nil, FFprobeOptions{Path: "no-such-ffprobe-binary"})
	require.ErrorIs(t, err, ErrFFmpegNotFound)
}

func TestStartFileAndCamera(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, copyMode := range []bool{true, false} {
		p, err := StartFile(ctx, "testdata/av.ts", FileOptions{Copy: copyMode, FPS: 30, Encode: EncodeOptions{KeyframeInterval: time.Second}})
		require.NoError(t, err)
		sink := &BufferSink{}
		st, err := Resegment(ctx, p, sink, ResegmentOptions{})
		require.NoError(t, err)
		require.NoError(t, p.Wait())
		require.NoError(t, p.Close())
		require.Equal(t, 90, st.Segmenter.VideoFrames, "copy=%v", copyMode)
		require.Positive(t, st.Segmenter.AudioFrames)
		require.Len(t, sink.Segments(), 3)
	}

	// A missing file or camera: EOF on read, a *ProcessError from Wait.
	for _, p := range []func() (*Process, error){
		func() (*Process, error) { return StartFile(ctx, "testdata/missing.mp4", FileOptions{}) },
		func() (*Process, error) {
			return StartCamera(ctx, "/dev/video-missing", CameraOptions{Width: 640, Height: 480, FPS: 30})
		},
	} {
		proc, err := p()
		require.NoError(t, err)
		b, err := io.ReadAll(proc)
		require.NoError(t, err)
		require.Empty(t, b)
		var pe *ProcessError
		require.ErrorAs(t, proc.Wait(), &pe)
		require.NotEmpty(t, pe.Stderr)
		require.NoError(t, proc.Close())
	}
	_, err := StartFile(ctx, "", FileOptions{})
	require.Error(t, err)
	_, err = StartCamera(ctx, "", CameraOptions{})
	require.Error(t, err)
	require.Contains(t, CameraArgs("/dev/video0", CameraOptions{InputFormat: "mjpeg", Width: 1280, Height: 720, FPS: 30}),
		"mjpeg")
}

func TestFilterNegate(t *testing.T) {
	needFFmpeg(t)
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in, err := os.ReadFile("testdata/av.ts")
	require.NoError(t, err)

	f, err := StartFilter(ctx, FilterOptions{Video: "negate"})
	require.NoError(t, err)
	defer f.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := io.Copy(f, bytes.NewReader(in))
		assert.NoError(t, err)
		assert.NoError(t, f.CloseWrite())
	}()
	sink := &BufferSink{}
	st, err := Resegment(ctx, f, sink, ResegmentOptions{})
	require.NoError(t, err)
	wg.Wait()
	require.NoError(t, f.Wait())
	require.NoError(t, f.Close())
	requireReaped(t, f)

	require.Equal(t, 90, st.Segmenter.VideoFrames)
	require.Positive(t, st.Segmenter.AudioFrames, "audio copied through")
	require.Len(t, sink.Segments(), 3, "keyframes follow the source's")
	info := probe(t, bytes.Join(sink.Segments(), nil))
	require.Empty(t, info.Errors)
	require.Equal(t, 90, info.Video().Frames)

	// The picture really changed: first IDR differs from the input's.
	inPk, _ := readAll(t, in)
	outPk, _ := readAll(t, sink.Segments()[0])
	require.NotEqual(t, filterCodec(inPk, CodecH264)[0].Data, filterCodec(outPk, CodecH264)[0].Data)

	// Write on a process without stdin fails.
	p, err := StartTestPattern(ctx, TestPatternOptions{Width: 64, Height: 48, Duration: time.Second})
	require.NoError(t, err)
	_, err = p.Write([]byte{1})
	require.Error(t, err)
	require.NoError(t, p.Close())
	require.False(t, errors.Is(p.Wait(), ErrClosed))
}
