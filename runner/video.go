package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// VideoFunc processes one session's realtime video: it reads input
// segments, writes output segments and reacts to control messages until
// the input ends (return nil) or ctx ends (the session was released or the
// Runner closed; return ctx.Err()). An error ends the run and is reported
// on the events channel.
type VideoFunc func(ctx context.Context, v *VideoSession) error

// VideoSession is one session's video as a VideoFunc sees it: the four
// trickle channels Video created for it. NextInput and NextOutput each
// expect one caller at a time; the other methods are safe for concurrent use.
type VideoSession struct {
	// Session is the live session the video belongs to.
	Session *Session
	// ModelID is the "model_id" of the start request ("" if none).
	ModelID string
	// Params is the "params" object of the start request, never nil.
	Params map[string]any

	in      *trickle.Subscriber
	out     *trickle.Publisher
	events  *trickle.Publisher
	control chan map[string]any

	mu              sync.Mutex
	inSegs, outSegs int
}

// NextInput returns the next input segment (MPEG-TS as the client
// publishes it, streamed while it arrives). It returns io.EOF when the
// input channel ends (the client stopped publishing, or the orchestrator
// closed the session's channels), or ctx.Err().
func (v *VideoSession) NextInput(ctx context.Context) (io.ReadCloser, error) {
	seg, err := v.in.Next(ctx)
	if errors.Is(err, trickle.ErrEndOfStream) || errors.Is(err, trickle.ErrStreamNotFound) || errors.Is(err, trickle.ErrClosed) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.inSegs++
	v.mu.Unlock()
	return seg, nil
}

// NextOutput opens the next output segment: its bytes reach the client as
// they are written; Close ends the segment.
func (v *VideoSession) NextOutput(ctx context.Context) (io.WriteCloser, error) {
	w, err := v.out.Next(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.outSegs++
	v.mu.Unlock()
	return w, nil
}

// Control returns the client's control messages (keepalives removed); when
// the function does not keep up the oldest is dropped (the latest
// parameters win). It is closed when the run ends.
func (v *VideoSession) Control() <-chan map[string]any { return v.control }

// Emit publishes an event on the events channel, wrapped as ai-runner
// wraps them ({"queue_event_type":"ai_stream_events","event":{...}}).
func (v *VideoSession) Emit(ctx context.Context, event map[string]any) error {
	b, err := json.Marshal(map[string]any{"queue_event_type": "ai_stream_events", "event": event})
	if err != nil {
		return err
	}
	return v.events.Write(ctx, bytes.NewReader(b))
}

// Counts returns how many input segments were read and output segments opened.
func (v *VideoSession) Counts() (in, out int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.inSegs, v.outSegs
}

// VideoStart is the body Video accepts: a live-video-to-video job
// (go-livepeer LiveVideoToVideoParams); only Params is used.
type VideoStart struct {
	ModelID string         `json:"model_id,omitempty"`
	Params  map[string]any `json:"params,omitempty"`
}

// VideoChannels is Video's answer, the shape of go-livepeer's
// LiveVideoToVideoResponse, so a client starts it as it starts LV2V: it
// publishes MPEG-TS to publish_url, reads subscribe_url, sends JSON to
// control_url and reads events_url (all public channel URLs).
type VideoChannels struct {
	PublishURL   string `json:"publish_url"`
	SubscribeURL string `json:"subscribe_url"`
	ControlURL   string `json:"control_url"`
	EventsURL    string `json:"events_url"`
	ManifestID   string `json:"manifest_id"` // the session id
}

// Video returns an http.Handler, to mount behind Runner.Handler (at POST
// /scope for clients that start Scope through a runner), that starts fn
// for the request's session: it creates the session's trickle channels
// "in", "out" (video/MP2T), "control" and "events" (application/json)
// through the orchestrator's callback, answers 200 VideoChannels, and runs
// fn until the input ends, fn fails, the session ends or the Runner closes;
// the output and events channels are then closed (the client reads the end
// of its stream). Answers: 400 without a session or with a body that is
// not a VideoStart, 409 when the session's video already runs, 404 when
// the session is gone, 502 when the orchestrator refused the channels.
func Video(fn VideoFunc) http.Handler {
	var mu sync.Mutex
	running := map[string]bool{} // by control URL
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s, ok := SessionFrom(req.Context())
		if !ok {
			http.Error(w, ErrNoSession.Error(), http.StatusBadRequest)
			return
		}
		var start VideoStart
		if err := json.NewDecoder(io.LimitReader(req.Body, 1<<20)).Decode(&start); err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, "body is not a live-video-to-video job: "+err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		if running[s.control] {
			mu.Unlock()
			http.Error(w, "video already running for this session", http.StatusConflict)
			return
		}
		running[s.control] = true
		mu.Unlock()
		done := func() {
			mu.Lock()
			delete(running, s.control)
			mu.Unlock()
		}
		chans, err := s.CreateChannels(req.Context(),
			ChannelSpec{Name: "in", MimeType: "video/MP2T"}, ChannelSpec{Name: "out", MimeType: "video/MP2T"},
			ChannelSpec{Name: "control", MimeType: "application/json"}, ChannelSpec{Name: "events", MimeType: "application/json"})
		if err != nil {
			done()
			status := http.StatusBadGateway
			if errors.Is(err, ErrSessionGone) {
				status = http.StatusNotFound
			}
			http.Error(w, err.Error(), status)
			return
		}
		byName := map[string]Channel{}
		for _, c := range chans {
			byName[c.Name] = c
		}
		params := start.Params
		if params == nil {
			params = map[string]any{}
		}
		if err := s.r.startVideo(s, fn, byName, start.ModelID, params, done); err != nil {
			done()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(VideoChannels{
			PublishURL: byName["in"].URL, SubscribeURL: byName["out"].URL, ControlURL: byName["control"].URL,
			EventsURL: byName["events"].URL, ManifestID: s.ID(),
		})
	})
}

// startVideo opens the run's trickle clients and starts it.
func (r *Runner) startVideo(s *Session, fn VideoFunc, chans map[string]Channel, model string, params map[string]any, done func()) error {
	tc := r.cfg.HTTPClient
	for _, n := range []string{"in", "out", "control", "events"} {
		if chans[n].URL == "" {
			return errors.New("runner: the orchestrator did not create channel " + n)
		}
	}
	var closers []io.Closer
	fail := func(err error) error {
		for _, c := range closers {
			_ = c.Close()
		}
		return err
	}
	in, err := chans["in"].Subscriber(trickle.SubscriberConfig{HTTPClient: tc, VerifyTLS: r.cfg.VerifyTLS, Logger: r.log})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, in)
	out, err := chans["out"].Publisher(trickle.PublisherConfig{HTTPClient: tc, VerifyTLS: r.cfg.VerifyTLS, Logger: r.log})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, out)
	ev, err := chans["events"].Publisher(trickle.PublisherConfig{HTTPClient: tc, VerifyTLS: r.cfg.VerifyTLS, Logger: r.log})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, ev)
	ctl, err := chans["control"].Subscriber(trickle.SubscriberConfig{HTTPClient: tc, VerifyTLS: r.cfg.VerifyTLS, Logger: r.log})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, ctl)
	v := &VideoSession{Session: s, ModelID: model, Params: params, in: in, out: out, events: ev, control: make(chan map[string]any, 8)}
	ok := r.goTracked(func() {
		defer done()
		ctx, cancel := context.WithCancel(s.Context())
		var wg sync.WaitGroup
		wg.Go(func() { v.readControl(ctx, ctl) })
		err := fn(ctx, v)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("runner: video failed", "session_id", s.ID(), "err", err)
			ectx, ecancel := context.WithTimeout(context.Background(), r.cfg.RequestTimeout)
			_ = v.Emit(ectx, map[string]any{"type": "error", "message": err.Error()})
			ecancel()
		}
		cancel()
		// Closing the output publisher deletes the channel: the client
		// reads what was published, then the end of the stream.
		for _, c := range closers {
			_ = c.Close()
		}
		wg.Wait()
	})
	if !ok {
		return fail(ErrClosed)
	}
	return nil
}

func (v *VideoSession) readControl(ctx context.Context, sub *trickle.Subscriber) {
	defer close(v.control)
	for raw, err := range trickle.ReadJSON(ctx, sub, 0) {
		if err != nil {
			continue
		}
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || m == nil || (len(m) == 1 && m["keep"] == "alive") {
			continue
		}
		for {
			select {
			case v.control <- m:
			case <-ctx.Done():
				return
			default:
				select { // full: drop the oldest
				case <-v.control:
				default:
				}
				continue
			}
			break
		}
	}
}

// SegmentFunc transforms one MPEG-TS segment: it reads in and writes the
// result to out, with the session's current parameters (the start params
// merged with every control message received so far).
type SegmentFunc func(ctx context.Context, params map[string]any, in io.Reader, out io.Writer) error

// PerSegment adapts a SegmentFunc to a VideoFunc: each input segment
// becomes one output segment, in order. Control messages are merged into
// the parameters as they arrive (and acknowledged with a "params_update"
// event); a change applies from the next segment. An error from fn ends
// the run.
func PerSegment(fn SegmentFunc) VideoFunc {
	return func(ctx context.Context, v *VideoSession) error {
		var mu sync.Mutex
		params := maps.Clone(v.Params)
		done := make(chan struct{})
		var wg sync.WaitGroup
		defer wg.Wait()
		defer close(done)
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				case m, ok := <-v.Control():
					if !ok {
						return
					}
					mu.Lock()
					maps.Copy(params, m)
					mu.Unlock()
					_ = v.Emit(ctx, map[string]any{"type": "params_update", "params": m})
				}
			}
		})
		for {
			in, err := v.NextInput(ctx)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			out, err := v.NextOutput(ctx)
			if err != nil {
				in.Close()
				return err
			}
			mu.Lock()
			p := maps.Clone(params)
			mu.Unlock()
			err = fn(ctx, p, in, out)
			in.Close()
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
