package livepeertest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
)

// Pipeline is the processing behind one live stream on an in-process
// orchestrator: what go-livepeer hands to an AI runner (live-video-to-video)
// or a BYOC worker (stream capabilities). Run reads input segments from s,
// writes output segments to s, reacts to control messages and emits events.
// It returns nil when the input ends, ctx.Err() when ctx is cancelled (the
// stream was closed or stopped), or an error if processing failed.
//
// A Pipeline value is shared by every stream it serves: Run is called once
// per stream, possibly concurrently, so keep per-stream state inside Run.
type Pipeline interface {
	Run(ctx context.Context, s *PipelineStream) error
}

// PipelineFunc adapts a function to a [Pipeline].
type PipelineFunc func(ctx context.Context, s *PipelineStream) error

// Run calls f(ctx, s).
func (f PipelineFunc) Run(ctx context.Context, s *PipelineStream) error { return f(ctx, s) }

// PipelineStream is one stream as a [Pipeline] sees it. Its methods are safe
// to call from the pipeline's own goroutines; NextInput and NextOutput each
// expect a single caller at a time.
type PipelineStream struct {
	// ID is the stream's id: the LV2V manifest id or the BYOC stream id.
	ID string
	// Model is the LV2V model id or the BYOC capability name.
	Model string
	// Params holds the parameters the stream was started with (the LV2V
	// "params" object, or the BYOC start body), never nil.
	Params map[string]any

	input   func(ctx context.Context) (io.ReadCloser, error)
	output  func(ctx context.Context) (io.WriteCloser, error)
	emit    func(ctx context.Context, event map[string]any) error
	control chan map[string]any

	mu       sync.Mutex
	inSegs   int
	outSegs  int
	controls int
}

// ErrNoChannel is returned by PipelineStream methods for a channel the stream
// was started without (a BYOC stream with video ingress or egress disabled).
var ErrNoChannel = errors.New("livepeertest: stream has no such channel")

// NextInput returns the next input segment (one MPEG-TS segment, streamed
// while the client still publishes it). It returns io.EOF when the input
// channel ends (the client closed it), or ctx.Err().
func (s *PipelineStream) NextInput(ctx context.Context) (io.ReadCloser, error) {
	if s.input == nil {
		return nil, ErrNoChannel
	}
	r, err := s.input(ctx)
	if err == nil {
		s.mu.Lock()
		s.inSegs++
		s.mu.Unlock()
	}
	return r, err
}

// NextOutput opens the next output segment; the bytes written to it reach
// subscribers as they are written, and Close ends the segment. It has the
// shape of media.SegmentSink.NextSegment, so
// media.SinkFunc(s.NextOutput) feeds a media.Segmenter or media.Resegment.
func (s *PipelineStream) NextOutput(ctx context.Context) (io.WriteCloser, error) {
	if s.output == nil {
		return nil, ErrNoChannel
	}
	w, err := s.output(ctx)
	if err == nil {
		s.mu.Lock()
		s.outSegs++
		s.mu.Unlock()
	}
	return w, err
}

// Control returns the control messages the client sends, keepalives
// ({"keep":"alive"}) removed. The channel is closed when the stream ends.
func (s *PipelineStream) Control() <-chan map[string]any { return s.control }

// Emit publishes one event on the stream's events channel, wrapped the way
// ai-runner wraps them ({"queue_event_type":"ai_stream_events","event":{...}})
// so go-livepeer gateways and this SDK read it alike.
func (s *PipelineStream) Emit(ctx context.Context, event map[string]any) error {
	if s.emit == nil {
		return ErrNoChannel
	}
	return s.emit(ctx, event)
}

// Counts returns how many input and output segments the stream has seen and
// how many control messages (keepalives excluded) it received.
func (s *PipelineStream) counts() (in, out, control int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inSegs, s.outSegs, s.controls
}

// deliverControl parses one control message and queues it for the pipeline.
// Keepalives and malformed messages are dropped; when the pipeline does not
// keep up, the oldest queued message is dropped (the latest parameters win).
func (s *PipelineStream) deliverControl(ctx context.Context, b []byte) {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m == nil {
		return
	}
	if len(m) == 1 && m["keep"] == "alive" {
		return
	}
	s.mu.Lock()
	s.controls++
	s.mu.Unlock()
	for {
		select {
		case s.control <- m:
			return
		case <-ctx.Done():
			return
		default:
		}
		select {
		case <-s.control:
		default:
		}
	}
}
