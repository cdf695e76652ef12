package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"sync"
)

// ContinuousOptions configures a [ContinuousWriter].
type ContinuousOptions struct {
	// Timeline re-bases timestamps; nil means a new one. Segments whose
	// timestamps go backwards (a restarted producer) continue after the
	// previous ones.
	Timeline *Timeline
	// Demuxer configures the parsing of each segment.
	Demuxer DemuxerOptions
	// Logger receives debug logs; nil means silent.
	Logger *slog.Logger
}

// ContinuousWriter joins MPEG-TS segments into one continuous, playable .ts
// stream: each segment is demuxed and its access units re-muxed by one muxer,
// so continuity counters run on, PAT/PMT are repeated at keyframes and
// timestamps stay monotonic. The first segment fixes the tracks (H.264 and/or
// AAC); later tracks that were not in it are dropped.
//
// Methods are safe for concurrent use (segments are appended in call order).
type ContinuousWriter struct {
	w    io.Writer
	opts ContinuousOptions

	mu     sync.Mutex
	seg    *Segmenter
	closed bool
	dstats DemuxerStats
}

// NewContinuousWriter returns a ContinuousWriter writing to w.
func NewContinuousWriter(w io.Writer, opts ContinuousOptions) *ContinuousWriter {
	if opts.Timeline == nil {
		opts.Timeline = NewTimeline()
	}
	return &ContinuousWriter{w: w, opts: opts}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// WriteSegment reads one segment from r to EOF and appends its access units.
// A segment that is not MPEG-TS returns an error wrapping ErrInvalidStream and
// appends nothing (the writer stays usable); an error writing to the output
// is returned wrapped, and output written after it may be incomplete. If r is
// an io.Closer, cancelling ctx closes it.
func (c *ContinuousWriter) WriteSegment(ctx context.Context, r io.Reader) error {
	if cl, ok := r.(io.Closer); ok {
		stop := context.AfterFunc(ctx, func() { _ = cl.Close() })
		defer stop()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errContinuousClosed
	}
	dm := NewDemuxer(r, c.opts.Demuxer)
	defer func() {
		s := dm.Stats()
		c.dstats.VideoPackets += s.VideoPackets
		c.dstats.AudioPackets += s.AudioPackets
		c.dstats.DecodeErrors += s.DecodeErrors
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := dm.ReadPacket()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.seg == nil {
			c.seg, err = NewSegmenter(SinkFunc(func(context.Context) (io.WriteCloser, error) {
				return nopWriteCloser{c.w}, nil
			}), SegmenterOptions{
				AudioOnly:          !dm.HasVideo(),
				Audio:              dm.Audio(),
				MinSegmentDuration: -1,
				MaxSegmentDuration: -1,
				Timeline:           c.opts.Timeline,
				Logger:             c.opts.Logger,
			})
			if err != nil {
				return err
			}
		}
		err = c.seg.WritePacket(ctx, p)
		if err != nil && !errors.Is(err, ErrInvalidAccessUnit) && !errors.Is(err, ErrUnsupportedCodec) {
			return err
		}
		if werr := c.seg.takeWriteErr(); werr != nil {
			return fmt.Errorf("media: continuous output: %w", werr)
		}
	}
}

// Stats returns the accumulated demuxer counters and the muxer's counters.
func (c *ContinuousWriter) Stats() (DemuxerStats, SegmenterStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ss SegmenterStats
	if c.seg != nil {
		ss = c.seg.Stats()
	}
	return c.dstats, ss
}

// WriteSegments appends every segment of segs (for example a live session's
// Subscribe) to c until the sequence ends, then closes c, flushing the
// output. A segment that is an io.Closer is closed once read. It returns the
// first error: the sequence's, a segment's (see WriteSegment) or Close's;
// on an error it stops consuming segs.
func WriteSegments[R io.Reader](ctx context.Context, c *ContinuousWriter, segs iter.Seq2[R, error]) error {
	var err error
	for seg, serr := range segs {
		if serr != nil {
			err = serr
			break
		}
		err = c.WriteSegment(ctx, seg)
		if cl, ok := any(seg).(io.Closer); ok {
			_ = cl.Close()
		}
		if err != nil {
			break
		}
	}
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close flushes the output and makes further calls return errContinuousClosed. It does
// not close the underlying writer. Close is idempotent.
func (c *ContinuousWriter) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.seg != nil {
		return c.seg.Close()
	}
	return nil
}
