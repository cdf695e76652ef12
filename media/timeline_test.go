package media

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireMonotonic checks that DTS strictly increases per codec and that every
// segment's first video PTS is later than the previous segment's last.
func requireMonotonic(t *testing.T, pk []Packet) {
	t.Helper()
	last := map[Codec]int64{}
	seen := map[Codec]bool{}
	for i, p := range pk {
		if seen[p.Codec] {
			require.Greater(t, p.DTS, last[p.Codec], "packet %d (%v) goes back", i, p.Codec)
		}
		seen[p.Codec] = true
		last[p.Codec] = p.DTS
		require.GreaterOrEqual(t, p.PTS, p.DTS)
	}
}

func TestTimelineReconnectContinues(t *testing.T) {
	checkGoroutines(t)
	in, audio := testdataPackets(t)
	ctx := context.Background()
	tl := NewTimeline()
	sink := &BufferSink{}

	// First connection: the whole input.
	seg1, err := NewSegmenter(sink, SegmenterOptions{Audio: audio, Timeline: tl})
	require.NoError(t, err)
	for _, p := range in {
		require.NoError(t, seg1.WritePacket(ctx, p))
	}
	require.NoError(t, seg1.Close())
	last1, ok := tl.Last()
	require.True(t, ok)
	n1 := len(sink.Segments())

	// Publisher reconnects; the source restarts with the same timestamps.
	seg2, err := NewSegmenter(sink, SegmenterOptions{Audio: audio, Timeline: tl})
	require.NoError(t, err)
	for _, p := range in {
		require.NoError(t, seg2.WritePacket(ctx, p))
	}
	require.NoError(t, seg2.Close())
	require.Equal(t, 1, tl.Jumps())

	segs := sink.Segments()
	require.Greater(t, len(segs), n1)
	first2, _ := readAll(t, segs[n1])
	require.Equal(t, last1+3000, first2[0].DTS, "continues one frame after the last")

	// Demux segment by segment: the two connections' segments come from two
	// muxers whose continuity counters are independent.
	var all []Packet
	for _, s := range segs {
		pk, _ := readAll(t, s)
		all = append(all, pk...)
	}
	requireMonotonic(t, all)
	require.Equal(t, 180, len(filterCodec(all, CodecH264)))
}

func TestTimelineBackwardJumpMidStream(t *testing.T) {
	in, _ := testdataPackets(t)
	video := filterCodec(in, CodecH264)
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{MinSegmentDuration: -1})
	require.NoError(t, err)
	ctx := context.Background()
	// GOP 2, then GOP 0 (timestamps go back), then GOP 1 (continues GOP 0).
	order := append(append(append([]Packet{}, video[60:90]...), video[0:30]...), video[30:60]...)
	for _, p := range order {
		require.NoError(t, seg.WritePacket(ctx, p))
	}
	require.NoError(t, seg.Close())
	out, _ := readAll(t, bytes.Join(sink.Segments(), nil))
	require.Equal(t, 90, len(out))
	requireMonotonic(t, out)
	// Frame spacing is preserved across the jump.
	for i := 1; i < len(out); i++ {
		require.Equal(t, int64(3000), out[i].DTS-out[i-1].DTS, "frame %d", i)
	}
	require.Equal(t, 1, seg.Timeline().Jumps())
	require.Equal(t, video[89].DTS+3000-video[0].DTS, seg.Timeline().Offset())
}

func TestTimelineMaxGapAndFollower(t *testing.T) {
	tl := &Timeline{MaxGap: 90000}
	p, d := tl.mapLeading(1000, 1000)
	require.Equal(t, int64(1000), p)
	require.Equal(t, int64(1000), d)
	_, d = tl.mapLeading(4000, 4000)
	require.Equal(t, int64(4000), d)
	_, d = tl.mapLeading(10_000_000, 10_000_000) // forward jump beyond MaxGap
	require.Equal(t, int64(7000), d)
	require.Equal(t, 1, tl.Jumps())
	a, ok := tl.mapFollower(10_000_000)
	require.True(t, ok)
	require.Equal(t, int64(7000), a)
	_, ok = tl.mapFollower(10_000_000)
	require.False(t, ok, "audio not increasing is dropped")
}
