package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type closeCounter struct {
	io.Reader
	closed *int
}

func (c closeCounter) Close() error { *c.closed++; return nil }

func segmentsOf(segs []io.Reader, tail error) iter.Seq2[io.Reader, error] {
	return func(yield func(io.Reader, error) bool) {
		for _, s := range segs {
			if !yield(s, nil) {
				return
			}
		}
		if tail != nil {
			yield(nil, tail)
		}
	}
}

func TestWriteSegmentsDrainsClosesAndFlushes(t *testing.T) {
	ts, err := os.ReadFile("testdata/av.ts")
	require.NoError(t, err)
	var out bytes.Buffer
	closed := 0
	segs := []io.Reader{closeCounter{bytes.NewReader(ts), &closed}, closeCounter{bytes.NewReader(ts), &closed}}
	cw := NewContinuousWriter(&out, ContinuousOptions{})
	require.NoError(t, WriteSegments(context.Background(), cw, segmentsOf(segs, nil)))
	assert.Equal(t, 2, closed, "each segment closed once read")
	_, st := cw.Stats()
	assert.Positive(t, st.VideoFrames)
	assert.ErrorIs(t, cw.WriteSegment(context.Background(), bytes.NewReader(ts)), ErrClosed, "the writer was closed")
	assert.Positive(t, out.Len())
}

func TestWriteSegmentsStopsAtTheFirstError(t *testing.T) {
	ts, err := os.ReadFile("testdata/av.ts")
	require.NoError(t, err)
	boom := errors.New("subscription failed")
	cw := NewContinuousWriter(io.Discard, ContinuousOptions{})
	err = WriteSegments(context.Background(), cw, segmentsOf([]io.Reader{bytes.NewReader(ts)}, boom))
	require.ErrorIs(t, err, boom)

	cw = NewContinuousWriter(io.Discard, ContinuousOptions{})
	read := 0
	seq := func(yield func(io.Reader, error) bool) {
		for _, r := range []io.Reader{bytes.NewReader([]byte("not a transport stream")), bytes.NewReader(ts)} {
			read++
			if !yield(r, nil) {
				return
			}
		}
	}
	err = WriteSegments(context.Background(), cw, seq)
	require.ErrorIs(t, err, ErrInvalidStream)
	assert.Equal(t, 1, read, "stopped consuming after the bad segment")
}
