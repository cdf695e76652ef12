package media

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// SegmentSink receives segments: the [Segmenter] calls NextSegment when a
// segment starts, streams the segment's bytes into the returned writer while
// the GOP is in progress, and closes it when the segment ends.
//
// A trickle publisher (Next(ctx) (*trickle.SegmentWriter, error)) fits
// through [SinkOf]:
//
//	sink := media.SinkOf(pub.Next)
type SegmentSink interface {
	NextSegment(ctx context.Context) (io.WriteCloser, error)
}

// SinkFunc adapts a function to a [SegmentSink].
type SinkFunc func(ctx context.Context) (io.WriteCloser, error)

// NextSegment calls f(ctx).
func (f SinkFunc) NextSegment(ctx context.Context) (io.WriteCloser, error) { return f(ctx) }

// SinkOf adapts a method such as a trickle publisher's Next, whose writer is a
// concrete type, to a [SegmentSink]. On error it returns a nil interface (not
// a typed nil). next must not return a nil writer with a nil error.
func SinkOf[W io.WriteCloser](next func(context.Context) (W, error)) SinkFunc {
	return func(ctx context.Context) (io.WriteCloser, error) {
		w, err := next(ctx)
		if err != nil {
			return nil, err
		}
		return w, nil
	}
}

// BufferSink is a [SegmentSink] that keeps every segment in memory, for tests
// and examples. It is safe for concurrent use.
type BufferSink struct {
	mu   sync.Mutex
	segs []*bufferSegment
}

type bufferSegment struct {
	sink   *BufferSink
	buf    bytes.Buffer
	closed bool
}

func (s *bufferSegment) Write(p []byte) (int, error) {
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	if s.closed {
		return 0, errSegmentClosed
	}
	return s.buf.Write(p)
}

func (s *bufferSegment) Close() error {
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	s.closed = true
	return nil
}

// NextSegment starts a new in-memory segment. It fails only if ctx is done.
func (b *BufferSink) NextSegment(ctx context.Context) (io.WriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &bufferSegment{sink: b}
	b.segs = append(b.segs, s)
	return s, nil
}

// Segments returns a copy of every segment's bytes so far, in order, including
// a segment still being written.
func (b *BufferSink) Segments() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([][]byte, len(b.segs))
	for i, s := range b.segs {
		out[i] = bytes.Clone(s.buf.Bytes())
	}
	return out
}

// Closed reports how many segments have been closed by their writer.
func (b *BufferSink) Closed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, s := range b.segs {
		if s.closed {
			n++
		}
	}
	return n
}
