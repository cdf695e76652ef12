package livepeertest

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Passthrough returns a [Pipeline] that copies every input segment to the
// output unchanged, byte for byte, as the bytes arrive (the lowest latency
// the in-process network offers). Control messages are acknowledged with a
// "params_update" event; a "status" event is emitted at start.
func Passthrough() Pipeline {
	return PipelineFunc(func(ctx context.Context, s *PipelineStream) error {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		wg.Go(func() { pipeAckControl(ctx, s, nil) })
		_ = s.Emit(ctx, pipeStatusEvent(s, "running", nil))
		for {
			in, err := s.NextInput(ctx)
			if errors.Is(err, io.EOF) || errors.Is(err, ErrNoChannel) {
				return nil
			}
			if err != nil {
				return err
			}
			err = pipeCopySegment(ctx, s, in)
			in.Close()
			if err != nil {
				return err
			}
		}
	})
}

// pipeCopySegment streams one input segment into a new output segment.
func pipeCopySegment(ctx context.Context, s *PipelineStream, in io.Reader) error {
	out, err := s.NextOutput(ctx)
	if errors.Is(err, ErrNoChannel) {
		_, err = io.Copy(io.Discard, in)
		return err
	}
	if err != nil {
		return err
	}
	buf := make([]byte, 32<<10)
	_, cerr := io.CopyBuffer(out, in, buf)
	if err := out.Close(); cerr == nil {
		cerr = err
	}
	if cerr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return cerr
}

// pipeAckControl answers each control message with a "params_update" event and,
// when apply is non-nil, hands the message to it first. It returns when the
// control channel closes or ctx ends.
func pipeAckControl(ctx context.Context, s *PipelineStream, apply func(map[string]any)) {
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-s.Control():
			if !ok {
				return
			}
			if apply != nil {
				apply(m)
			}
			_ = s.Emit(ctx, map[string]any{"type": "params_update", "stream_id": s.ID, "params": m})
		}
	}
}

// pipeStatusEvent builds a "status" event in the shape ai-runner reports.
func pipeStatusEvent(s *PipelineStream, state string, extra map[string]any) map[string]any {
	in, out, ctl := s.counts()
	ev := map[string]any{
		"type":            "status",
		"stream_id":       s.ID,
		"pipeline":        s.Model,
		"state":           state,
		"input_segments":  in,
		"output_segments": out,
		"control_msgs":    ctl,
	}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}
