package media

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSegmenterStreamsWithinGOP(t *testing.T) {
	in, _ := testdataPackets(t)
	video := filterCodec(in, CodecH264)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{})
	require.NoError(t, err)
	ctx := context.Background()
	sizes := []int{}
	for _, p := range video[:5] {
		require.NoError(t, seg.WritePacket(ctx, p))
		segs := sink.Segments()
		require.Len(t, segs, 1)
		sizes = append(sizes, len(segs[0]))
	}
	require.Zero(t, sink.Closed(), "segment still open")
	for i := 1; i < len(sizes); i++ {
		require.Greater(t, sizes[i], sizes[i-1], "each access unit reaches the sink at once")
	}
	require.Equal(t, int64(sizes[4]), seg.Stats().Bytes)
	require.NoError(t, seg.Close())
}

func TestSegmenterMinWallClock(t *testing.T) {
	in, _ := testdataPackets(t)
	video := filterCodec(in, CodecH264)
	sink := &BufferSink{}
	// Media minimum off; a wall-clock minimum no burst can reach.
	seg, err := NewSegmenter(sink, SegmenterOptions{MinSegmentDuration: -1, MinSegmentWallClock: time.Hour})
	require.NoError(t, err)
	for _, p := range video {
		require.NoError(t, seg.WritePacket(context.Background(), p))
	}
	require.NoError(t, seg.Close())
	require.Len(t, sink.Segments(), 1, "a burst of 3 GOPs stays in one segment")
}

func TestSegmenterAudioOnly(t *testing.T) {
	in, audio := testdataPackets(t)
	aac := filterCodec(in, CodecAAC)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{AudioOnly: true, Audio: audio})
	require.NoError(t, err)
	ctx := context.Background()
	require.ErrorIs(t, seg.WritePacket(ctx, filterCodec(in, CodecH264)[0]), ErrUnsupportedCodec)
	for _, p := range aac {
		require.NoError(t, seg.WriteAAC(ctx, p.PTS, p.Data))
	}
	require.NoError(t, seg.Close())
	segs := sink.Segments()
	require.Equal(t, 4, len(segs), "cut every MinSegmentDuration (3.03 s of audio)")
	var out []Packet
	for _, s := range segs {
		pk, d := readAll(t, s)
		require.False(t, d.HasVideo())
		require.Equal(t, *audio, *d.Audio())
		out = append(out, pk...)
	}
	require.Equal(t, len(aac), len(out))
	for i := range aac {
		require.Equal(t, aac[i].PTS, out[i].PTS)
		require.Equal(t, aac[i].Data, out[i].Data)
	}
}

// Timestamps starting at zero (the common case for an encoder in a Go
// program) give a stream ffprobe reads cleanly.
func TestSegmenterZeroBasedTimestampsProbeClean(t *testing.T) {
	needFFmpeg(t)
	in, audio := testdataPackets(t)
	base := in[0].DTS
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{Audio: audio})
	require.NoError(t, err)
	for _, p := range in {
		p.PTS -= base
		p.DTS -= base
		if p.PTS < 0 {
			continue
		}
		require.NoError(t, seg.WritePacket(context.Background(), p))
	}
	require.NoError(t, seg.Close())
	for i, s := range sink.Segments() {
		info := probe(t, s)
		require.Empty(t, info.Errors, "segment %d", i)
		require.Equal(t, 30, info.Video().Frames)
	}
	info := probe(t, bytes.Join(sink.Segments(), nil))
	require.Empty(t, info.Errors)
	require.Equal(t, 90, info.Video().Frames)
	require.InDelta(t, 0, info.Video().StartTime, 0.001)
}

type typedWriter struct{ bytes.Buffer }

func (*typedWriter) Close() error { return nil }

func TestSinkOf(t *testing.T) {
	boom := errors.New("boom")
	sink := SinkOf(func(context.Context) (*typedWriter, error) { return nil, boom })
	w, err := sink.NextSegment(context.Background())
	require.ErrorIs(t, err, boom)
	require.True(t, w == nil, "a nil interface, not a typed nil")

	var got *typedWriter
	sink = SinkOf(func(context.Context) (*typedWriter, error) { got = &typedWriter{}; return got, nil })
	in, _ := testdataPackets(t)
	_, err = Resegment(context.Background(), bytes.NewReader(nil), sink, ResegmentOptions{})
	require.ErrorIs(t, err, ErrInvalidStream)
	seg, err := NewSegmenter(sink, SegmenterOptions{})
	require.NoError(t, err)
	require.NoError(t, seg.WritePacket(context.Background(), filterCodec(in, CodecH264)[0]))
	require.NoError(t, seg.Close())
	require.Positive(t, got.Len())
}

// An encoder that sends SPS/PPS only with the first IDR: the Segmenter
// re-inserts them so every segment decodes on its own.
func TestSegmenterReinsertsParameterSets(t *testing.T) {
	needFFmpeg(t)
	in, _ := testdataPackets(t)
	video := filterCodec(in, CodecH264)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{})
	require.NoError(t, err)
	for i, p := range video {
		if p.Keyframe && i > 0 {
			nalus, err := splitAnnexB(p.Data)
			require.NoError(t, err)
			var kept [][]byte
			for _, n := range nalus {
				if typ := n[0] & 0x1f; typ != 7 && typ != 8 {
					kept = append(kept, n)
				}
			}
			require.Less(t, len(kept), len(nalus), "test data has SPS/PPS in every IDR")
			p.Data = joinAnnexB(kept)
		}
		require.NoError(t, seg.WritePacket(context.Background(), p))
	}
	require.NoError(t, seg.Close())
	segs := sink.Segments()
	require.Equal(t, 3, len(segs))
	for i, s := range segs {
		info := probe(t, s)
		require.Empty(t, info.Errors, "segment %d", i)
		require.Equal(t, 30, info.Video().Frames, "segment %d", i)
	}
}
