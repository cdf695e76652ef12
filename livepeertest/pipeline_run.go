package livepeertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// maxControlMessage bounds one control message read by a stream runner.
const maxControlMessage = 1 << 20

// streamChannels are the trickle channel URLs of one stream, seen from the
// pipeline's side; an empty URL is a channel the stream does not have.
type streamChannels struct {
	In, Out, Control, Events string
}

// streamRun runs one Pipeline over trickle channels, the way ai-runner (LV2V)
// or a BYOC worker does: it subscribes to the input and control channels and
// publishes the output and events channels, over HTTP like a real runner.
type streamRun struct {
	ps     *PipelineStream
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Pipeline.Run's result, valid after done
}

// startStreamRun starts p for ps on chans. onEnd is called once, from the
// run's goroutine, after the pipeline returned and the pipeline's own trickle
// clients were closed.
func startStreamRun(p Pipeline, ps *PipelineStream, chans streamChannels, client *http.Client, log *slog.Logger, onEnd func(error)) (*streamRun, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &streamRun{ps: ps, cancel: cancel, done: make(chan struct{})}
	var closers []io.Closer
	fail := func(err error) (*streamRun, error) {
		cancel()
		for _, c := range closers {
			_ = c.Close()
		}
		return nil, err
	}
	ps.control = make(chan map[string]any, 8)
	var in, ctl *trickle.Subscriber
	var out, ev *trickle.Publisher
	var err error
	if chans.In != "" {
		if in, err = trickle.NewSubscriber(chans.In, trickle.SubscriberConfig{HTTPClient: client, Logger: log}); err != nil {
			return fail(err)
		}
		closers = append(closers, in)
		ps.input = func(ctx context.Context) (io.ReadCloser, error) {
			seg, err := in.Next(ctx)
			if errors.Is(err, trickle.ErrEndOfStream) || errors.Is(err, trickle.ErrStreamNotFound) || errors.Is(err, trickle.ErrClosed) {
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			return seg, nil
		}
	}
	if chans.Out != "" {
		if out, err = trickle.NewPublisher(chans.Out, trickle.PublisherConfig{MimeType: "video/MP2T", HTTPClient: client, Logger: log}); err != nil {
			return fail(err)
		}
		closers = append(closers, out)
		ps.output = func(ctx context.Context) (io.WriteCloser, error) { return out.Next(ctx) }
	}
	if chans.Events != "" {
		if ev, err = trickle.NewPublisher(chans.Events, trickle.PublisherConfig{MimeType: "application/json", HTTPClient: client, Logger: log}); err != nil {
			return fail(err)
		}
		closers = append(closers, ev)
		ps.emit = func(ctx context.Context, event map[string]any) error {
			b, err := json.Marshal(map[string]any{"queue_event_type": "ai_stream_events", "event": event})
			if err != nil {
				return err
			}
			return ev.Write(ctx, bytes.NewReader(b))
		}
	}
	if chans.Control != "" {
		if ctl, err = trickle.NewSubscriber(chans.Control, trickle.SubscriberConfig{HTTPClient: client, Logger: log}); err != nil {
			return fail(err)
		}
		closers = append(closers, ctl)
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ps.control)
		if ctl == nil {
			<-ctx.Done()
			return
		}
		for {
			seg, err := ctl.Next(ctx)
			if err != nil {
				return
			}
			b, err := io.ReadAll(io.LimitReader(seg, maxControlMessage))
			seg.Close()
			if err != nil {
				continue
			}
			ps.deliverControl(ctx, b)
		}
	})
	go func() {
		defer close(r.done)
		r.err = p.Run(ctx, ps)
		if r.err != nil && ctx.Err() == nil {
			log.Debug("livepeertest: pipeline failed", "stream", ps.ID, "err", r.err)
			_ = ps.Emit(ctx, pipeErrorEvent(ps, r.err))
		}
		cancel()
		// Closing the output publisher deletes the -out channel: subscribers
		// read what was published, then see the end of the stream.
		for _, c := range closers {
			_ = c.Close()
		}
		wg.Wait()
		onEnd(r.err)
	}()
	return r, nil
}

// stop cancels the pipeline and waits for the run to end.
func (r *streamRun) stop() {
	r.cancel()
	<-r.done
}
