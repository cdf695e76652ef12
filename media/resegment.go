package media

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ResegmentOptions configures [Resegment].
type ResegmentOptions struct {
	// Segmenter configures the output segments. Audio is filled in from the
	// input when nil; AudioOnly is set when the input has no H.264 track.
	Segmenter SegmenterOptions
	// Demuxer configures input parsing.
	Demuxer DemuxerOptions
}

// ResegmentStats reports what [Resegment] did.
type ResegmentStats struct {
	Demuxer   DemuxerStats
	Segmenter SegmenterStats
}

// Resegment reads an MPEG-TS byte stream (a file, ffmpeg's stdout, a trickle
// subscription) and writes it into sink as self-contained segments cut at
// keyframes. It demuxes to access units and re-muxes them with a [Segmenter]
// rather than splitting TS packets: every segment then starts with PAT/PMT
// and an IDR even when the source repeats its tables rarely, timestamps are
// re-based with a [Timeline], and continuity counters are consistent. The
// cost is a few percent of one core at most for 1080p30 (see the benchmark).
//
// It returns when r reaches EOF (nil), on a fatal error (a *SinkError, a
// reader error, ErrInvalidStream or ErrUnsupportedCodec), or when ctx is
// cancelled (ctx.Err()); if r is an io.Closer, cancelling ctx closes it to
// unblock a pending Read. Invalid access units are skipped and counted. The
// last segment is closed before Resegment returns.
func Resegment(ctx context.Context, r io.Reader, sink SegmentSink, opts ResegmentOptions) (ResegmentStats, error) {
	if c, ok := r.(io.Closer); ok {
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		defer stop()
	}
	var st ResegmentStats
	dm := NewDemuxer(r, opts.Demuxer)
	first, err := dm.ReadPacket()
	if err != nil {
		st.Demuxer = dm.Stats()
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		return st, err
	}
	so := opts.Segmenter
	if so.Audio == nil {
		so.Audio = dm.Audio()
	}
	if !dm.HasVideo() {
		so.AudioOnly = true
	}
	seg, err := NewSegmenter(sink, so)
	if err != nil {
		return st, err
	}
	p, rerr := first, error(nil)
	for rerr == nil {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		if err := seg.WritePacket(ctx, p); err != nil && !errors.Is(err, ErrInvalidAccessUnit) && !errors.Is(err, ErrUnsupportedCodec) {
			rerr = err
			break
		}
		p, rerr = dm.ReadPacket()
	}
	cerr := seg.Close()
	st.Demuxer = dm.Stats()
	st.Segmenter = seg.Stats()
	switch {
	case ctx.Err() != nil:
		return st, ctx.Err()
	case errors.Is(rerr, io.EOF):
		if cerr != nil {
			return st, fmt.Errorf("media: close last segment: %w", cerr)
		}
		return st, nil
	}
	return st, rerr
}
