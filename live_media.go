package livepeer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// NextSegment opens the next input segment: write one MPEG-TS segment
// (starting with PAT/PMT and a keyframe) and Close it. Bytes reach the
// orchestrator as they are written. It has the shape of
// media.SegmentSink.NextSegment, so a session feeds media.NewSegmenter
// (H.264 access units) and media.Resegment (an MPEG-TS stream) directly.
// It fails with ErrClosed (or the session's cause) once the session ended,
// or ctx.Err(); with ErrNoMediaChannel when the session has no input
// (Scope through an orchestrator's /scope route, a BYOC stream without
// video ingress).
func (s *LiveSession) NextSegment(ctx context.Context) (io.WriteCloser, error) {
	if s.in == nil {
		return nil, fmt.Errorf("livepeer: live session has no input channel: %w (%w)", ErrNoMediaChannel, ErrInvalidConfig)
	}
	mctx, cancel := s.merge(ctx)
	defer cancel()
	w, err := s.in.Next(mctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.sessionErr(err)
	}
	return w, nil
}

// Publish sends one MPEG-TS segment read from r (to EOF). Errors are those
// of NextSegment, or the segment's write error.
func (s *LiveSession) Publish(ctx context.Context, r io.Reader) error {
	w, err := s.NextSegment(ctx)
	if err != nil {
		return err
	}
	mctx, cancel := s.merge(ctx)
	defer cancel()
	stop := context.AfterFunc(mctx, func() { _ = w.Close() })
	defer stop()
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return s.sessionErr(err)
	}
	if err := w.Close(); err != nil {
		return s.sessionErr(err)
	}
	return nil
}

// EndInput ends the input: the input channel is deleted, which for
// live-video-to-video ends the stream, while output, events and payments go
// on until the orchestrator closes them (an orchestrator that flushes its
// pipeline, like livepeertest's, delivers the output of everything
// published first; go-livepeer closes every channel at once). The session
// then ends by itself with a nil Err; call Close as usual. It fails with
// ErrClosed after the session ended.
func (s *LiveSession) EndInput(ctx context.Context) error {
	if s.in == nil {
		return fmt.Errorf("livepeer: live session has no input channel: %w (%w)", ErrNoMediaChannel, ErrInvalidConfig)
	}
	if s.ctx.Err() != nil {
		return s.sessionErr(ErrClosed)
	}
	s.mu.Lock()
	s.inputEnded = true
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- s.in.Close() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Subscribe returns the output segments, in order, as they are produced:
// each is an MPEG-TS segment streamed while the pipeline still writes it
// (read it within the loop body; it is closed after). The iterator ends
// without error when the output channel ends, or when the session ends (then
// it yields the session's cause if there is one), and with ctx.Err() when
// ctx is cancelled. Each call is an independent subscriber starting at the
// oldest segment the orchestrator still holds. A session without an output
// channel yields one error matching ErrNoMediaChannel.
func (s *LiveSession) Subscribe(ctx context.Context) iter.Seq2[*trickle.Segment, error] {
	return func(yield func(*trickle.Segment, error) bool) {
		if s.info.SubscribeURL == "" {
			yield(nil, fmt.Errorf("livepeer: live session has no output channel: %w (%w)", ErrNoMediaChannel, ErrInvalidConfig))
			return
		}
		sub, err := trickle.NewSubscriber(s.info.SubscribeURL, trickle.SubscriberConfig{HTTPClient: s.hc, Logger: s.log})
		if err != nil {
			yield(nil, err)
			return
		}
		defer sub.Close()
		mctx, cancel := s.merge(ctx)
		defer cancel()
		for {
			seg, err := sub.Next(mctx)
			if err != nil {
				switch {
				case ctx.Err() != nil:
					yield(nil, ctx.Err())
				case errors.Is(err, trickle.ErrEndOfStream):
				case s.ctx.Err() != nil:
					if cause := s.Err(); cause != nil {
						yield(nil, cause)
					}
				default:
					yield(nil, fmt.Errorf("livepeer: live output: %w", err))
				}
				return
			}
			ok := yield(seg, nil)
			seg.Close()
			if !ok {
				return
			}
		}
	}
}
