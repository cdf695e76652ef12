package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTicks(t *testing.T) {
	require.Equal(t, int64(90000), Ticks(time.Second))
	require.Equal(t, int64(3000), Ticks(time.Second/30))
	require.Equal(t, int64(-3000), Ticks(-time.Second/30))
	require.Equal(t, time.Second, TicksToDuration(90000))
	for _, tk := range []int64{0, 1, 2999, 3000, 123456789} {
		require.Equal(t, tk, Ticks(TicksToDuration(tk)))
	}
}

func TestSegmenterRoundTripExact(t *testing.T) {
	checkGoroutines(t)
	in, audio := testdataPackets(t)
	require.NotNil(t, audio)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{Audio: audio, MinSegmentDuration: -1})
	require.NoError(t, err)
	ctx := context.Background()
	for _, p := range in {
		require.NoError(t, seg.WritePacket(ctx, p))
	}
	require.NoError(t, seg.Close())
	require.NoError(t, seg.Close()) // idempotent
	require.ErrorIs(t, seg.WritePacket(ctx, in[0]), ErrClosed)

	st := seg.Stats()
	segs := sink.Segments()
	require.Len(t, segs, 3, "3 s with a 1 s GOP")
	require.Equal(t, 3, sink.Closed())
	require.Equal(t, 3, st.SegmentsCompleted)
	require.Equal(t, 90, st.VideoFrames)
	require.Equal(t, len(filterCodec(in, CodecAAC)), st.AudioFrames)

	var out []Packet
	for i, s := range segs {
		require.Zero(t, len(s)%188)
		require.Equal(t, uint16(0), uint16(s[1]&0x1f)<<8|uint16(s[2]), "segment %d starts with PAT", i)
		pk, _ := readAll(t, s)
		require.NotEmpty(t, pk)
		require.Equal(t, CodecH264, pk[0].Codec, "segment %d starts with video", i)
		require.True(t, pk[0].Keyframe, "segment %d starts with an IDR", i)
		out = append(out, pk...)
	}
	require.Equal(t, len(in), len(out))
	for _, c := range []Codec{CodecH264, CodecAAC} {
		a, b := filterCodec(in, c), filterCodec(out, c)
		require.Equal(t, len(a), len(b))
		for i := range a {
			require.Equal(t, a[i].PTS, b[i].PTS, "%v %d", c, i)
			require.Equal(t, a[i].DTS, b[i].DTS, "%v %d", c, i)
			require.Equal(t, a[i].Keyframe, b[i].Keyframe)
			require.True(t, bytes.Equal(a[i].Data, b[i].Data), "%v %d bytes differ", c, i)
		}
	}
	// Segments concatenated are one valid stream.
	require.Zero(t, tsContinuityErrors(bytes.Join(segs, nil)))
}

func TestSegmenterWriteH264DerivesDTS(t *testing.T) {
	in, _ := testdataPackets(t)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{})
	require.NoError(t, err)
	video := filterCodec(in, CodecH264)
	for _, p := range video {
		require.NoError(t, seg.WriteH264(context.Background(), p.PTS, p.Data))
	}
	require.NoError(t, seg.Close())
	out, _ := readAll(t, bytes.Join(sink.Segments(), nil))
	require.Equal(t, len(video), len(out))
	for i := range out {
		require.Equal(t, video[i].PTS, out[i].PTS)
		require.Equal(t, video[i].DTS, out[i].DTS)
		require.Equal(t, video[i].Data, out[i].Data)
	}
	// ErrUnsupportedCodec: no audio track configured.
	require.ErrorIs(t, seg.WriteAAC(context.Background(), 0, []byte{1}), ErrClosed)
}

func TestSegmenterMinAndMaxDuration(t *testing.T) {
	in, _ := testdataPackets(t)
	video := filterCodec(in, CodecH264)
	run := func(o SegmenterOptions) (*BufferSink, SegmenterStats) {
		sink := &BufferSink{}
		seg, err := NewSegmenter(sink, o)
		require.NoError(t, err)
		for _, p := range video {
			require.NoError(t, seg.WritePacket(context.Background(), p))
		}
		require.NoError(t, seg.Close())
		return sink, seg.Stats()
	}
	// Keyframes every 1 s, minimum 1.5 s: the 1 s keyframe is skipped.
	sink, st := run(SegmenterOptions{MinSegmentDuration: 1500 * time.Millisecond})
	require.Len(t, sink.Segments(), 2)
	require.Zero(t, st.ForcedCuts)
	// Maximum 0.5 s: forced cuts between keyframes; each segment still has PAT/PMT.
	sink, st = run(SegmenterOptions{MinSegmentDuration: -1, MaxSegmentDuration: 500 * time.Millisecond})
	require.Len(t, sink.Segments(), 6)
	require.Equal(t, 3, st.ForcedCuts)
	for _, s := range sink.Segments() {
		pk, _ := readAll(t, s)
		require.Len(t, pk, 15)
	}
}

func TestSegmenterDropsBeforeKeyframeAndInvalid(t *testing.T) {
	in, audio := testdataPackets(t)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{Audio: audio})
	require.NoError(t, err)
	ctx := context.Background()
	video := filterCodec(in, CodecH264)
	// Non-IDR first: dropped with stats, no segment opened.
	require.NoError(t, seg.WritePacket(ctx, video[5]))
	require.NoError(t, seg.WriteAAC(ctx, 0, []byte{1, 2, 3}))
	require.NoError(t, seg.WriteH264(ctx, video[6].PTS, video[6].Data))
	require.Empty(t, sink.Segments())
	require.Equal(t, 3, seg.Stats().DroppedBeforeKeyframe)

	require.ErrorIs(t, seg.WriteH264(ctx, 0, nil), ErrInvalidAccessUnit)
	require.ErrorIs(t, seg.WriteH264(ctx, 0, []byte{0, 0, 0, 1}), ErrInvalidAccessUnit)
	require.ErrorIs(t, seg.WritePacket(ctx, Packet{Codec: CodecH264, PTS: 1, DTS: 2, Data: video[0].Data}), ErrInvalidAccessUnit)
	require.ErrorIs(t, seg.WriteAAC(ctx, 0, nil), ErrInvalidAccessUnit)
	require.ErrorIs(t, seg.WritePacket(ctx, Packet{Codec: Codec(9)}), ErrUnsupportedCodec)
	require.Equal(t, 4, seg.Stats().DroppedInvalid)

	// Still usable.
	require.NoError(t, seg.WritePacket(ctx, video[0]))
	require.NoError(t, seg.Close())
	require.Len(t, sink.Segments(), 1)

	_, err = NewSegmenter(nil, SegmenterOptions{})
	require.Error(t, err)
	_, err = NewSegmenter(sink, SegmenterOptions{AudioOnly: true})
	require.Error(t, err)
	_, err = NewSegmenter(sink, SegmenterOptions{Audio: &AudioConfig{SampleRate: 48000}})
	require.Error(t, err)
}

// failingSegment fails writes after n bytes.
type failingSegment struct {
	n      int
	closed bool
}

func (f *failingSegment) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, errors.New("boom")
	}
	f.n -= len(p)
	return len(p), nil
}

func (f *failingSegment) Close() error { f.closed = true; return nil }

func TestSegmenterSinkErrors(t *testing.T) {
	in, _ := testdataPackets(t)
	video := filterCodec(in, CodecH264)
	ctx := context.Background()

	// NextSegment failure is fatal and typed.
	sinkErr := errors.New("publisher gone")
	seg, err := NewSegmenter(SinkFunc(func(context.Context) (io.WriteCloser, error) { return nil, sinkErr }), SegmenterOptions{})
	require.NoError(t, err)
	err = seg.WritePacket(ctx, video[0])
	var se *SinkError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, sinkErr)

	// A segment whose writes fail: rest of its GOP dropped, next GOP in a new segment.
	var segs []*failingSegment
	seg, err = NewSegmenter(SinkFunc(func(context.Context) (io.WriteCloser, error) {
		f := &failingSegment{n: 1 << 30}
		if len(segs) == 0 {
			f.n = 4000
		}
		segs = append(segs, f)
		return f, nil
	}), SegmenterOptions{MinSegmentDuration: -1})
	require.NoError(t, err)
	for _, p := range video {
		require.NoError(t, seg.WritePacket(ctx, p))
	}
	require.NoError(t, seg.Close())
	st := seg.Stats()
	require.Len(t, segs, 3)
	require.True(t, segs[0].closed)
	require.Equal(t, 1, st.SegmentsFailed)
	require.Equal(t, 2, st.SegmentsCompleted)
	require.Equal(t, 60, st.VideoFrames)
	assert.Equal(t, 29, st.DroppedBeforeKeyframe, "the rest of the failed GOP")
}
