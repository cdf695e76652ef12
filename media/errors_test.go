package media

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// closable is one closable media type: open builds it, use calls a method
// after Close and returns that call's error.
type closable struct {
	name   string
	ffmpeg bool
	run    func(t *testing.T) error
}

// closables lists every media type with a Close method.
var closables = []closable{
	{name: "Segmenter", run: func(t *testing.T) error {
		s, err := NewSegmenter(&BufferSink{}, SegmenterOptions{})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		return s.WritePacket(context.Background(), Packet{Codec: CodecH264, Data: []byte{0, 0, 0, 1, 0x65, 0x88}})
	}},
	{name: "ContinuousWriter", run: func(t *testing.T) error {
		cw := NewContinuousWriter(io.Discard, ContinuousOptions{})
		require.NoError(t, cw.Close())
		return cw.WriteSegment(context.Background(), bytes.NewReader(nil))
	}},
	{name: "BufferSink segment", run: func(t *testing.T) error {
		w, err := (&BufferSink{}).NextSegment(context.Background())
		require.NoError(t, err)
		require.NoError(t, w.Close())
		_, err = w.Write([]byte{1})
		return err
	}},
	{name: "Process read", ffmpeg: true, run: func(t *testing.T) error {
		p, err := StartTestPattern(context.Background(), TestPatternOptions{Width: 64, Height: 48, Duration: time.Second})
		require.NoError(t, err)
		require.NoError(t, p.Close())
		_, err = p.Read(make([]byte, 10))
		return err
	}},
	{name: "Process write", ffmpeg: true, run: func(t *testing.T) error {
		p, err := StartFilter(context.Background(), FilterOptions{})
		require.NoError(t, err)
		require.NoError(t, p.Close())
		_, err = p.Write([]byte{1})
		return err
	}},
	{name: "FrameEncoder", ffmpeg: true, run: func(t *testing.T) error {
		enc, err := NewFrameEncoder(context.Background(), &BufferSink{}, FrameEncoderOptions{Width: 16, Height: 16})
		require.NoError(t, err)
		require.NoError(t, enc.Close())
		return enc.WriteImage(context.Background(), solid(16, 16, color.RGBA{A: 255}))
	}},
	{name: "FrameDecoder write", ffmpeg: true, run: func(t *testing.T) error {
		dec, err := NewFrameDecoder(context.Background(), FrameDecoderOptions{})
		require.NoError(t, err)
		require.NoError(t, dec.Close())
		return dec.WriteSegment(context.Background(), bytes.NewReader(nil))
	}},
	{name: "FrameDecoder read", ffmpeg: true, run: func(t *testing.T) error {
		dec, err := NewFrameDecoder(context.Background(), FrameDecoderOptions{})
		require.NoError(t, err)
		require.NoError(t, dec.Close())
		_, err = dec.ReadFrame(context.Background())
		return err
	}},
}

// TestClosedErrorsAreShared: every closed media object answers with an
// error that errors.Is matches against the SDK-wide ErrClosed (the value
// livepeer.ErrClosed and trickle.ErrClosed also hold), with a "media:" message.
func TestClosedErrorsAreShared(t *testing.T) {
	require.Same(t, lperr.ErrClosed, ErrClosed, "media.ErrClosed is the shared sentinel itself")
	for _, c := range closables {
		t.Run(c.name, func(t *testing.T) {
			if c.ffmpeg {
				needFFmpeg(t)
			}
			err := c.run(t)
			require.Error(t, err)
			require.ErrorIs(t, err, lperr.ErrClosed)
			require.True(t, strings.HasPrefix(err.Error(), "media: "), "message %q", err.Error())
			require.False(t, errors.Is(err, os.ErrClosed), "os errors do not leak through")
		})
	}
}

// TestErrorMessagesArePrefixed: media's own sentinels say "media:".
func TestErrorMessagesArePrefixed(t *testing.T) {
	for _, err := range []error{ErrFFmpegNotFound, ErrInvalidStream, ErrUnsupportedCodec, ErrInvalidAccessUnit,
		&SinkError{Err: io.EOF}, &ProcessError{Cmd: "ffmpeg", Err: io.EOF}} {
		require.True(t, strings.HasPrefix(err.Error(), "media: "), "message %q", err.Error())
	}
}
