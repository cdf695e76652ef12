package livepeertest

import (
	"context"
	"io"

	"github.com/livepeer/livepeer-go-gateway/runner"
)

// RunnerVideo runs a [Pipeline] (Transform, Passthrough or your own) as a
// live runner's realtime video (runner.Video): the pipeline reads the
// session's input segments, writes its output segments, receives its
// control messages and emits events exactly as it does behind an
// in-process orchestrator's live-video-to-video route. The stream's ID is
// the session id and its Model the start request's model_id.
func RunnerVideo(p Pipeline) runner.VideoFunc {
	return func(ctx context.Context, v *runner.VideoSession) error {
		ps := &PipelineStream{
			ID: v.Session.ID(), Model: v.ModelID, Params: v.Params,
			input:   func(ctx context.Context) (io.ReadCloser, error) { return v.NextInput(ctx) },
			output:  v.NextOutput,
			emit:    v.Emit,
			control: make(chan map[string]any, 8),
		}
		stop, done := make(chan struct{}), make(chan struct{})
		defer func() { close(stop); <-done }()
		go func() {
			defer close(done)
			defer close(ps.control)
			for {
				select {
				case <-stop:
					return
				case m, ok := <-v.Control():
					if !ok {
						return
					}
					ps.mu.Lock()
					ps.controls++
					ps.mu.Unlock()
					select {
					case ps.control <- m:
					case <-stop:
						return
					}
				}
			}
		}()
		return p.Run(ctx, ps)
	}
}
