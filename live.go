package livepeer

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// Defaults of LiveOptions.
const (
	// DefaultLivePaymentInterval is how often a live session pays
	// (go-livepeer's -livePaymentInterval).
	DefaultLivePaymentInterval = 5 * time.Second
	// DefaultKeepaliveInterval is how often {"keep":"alive"} goes on the
	// control channel (go-livepeer's gateway sends one every 10 s).
	DefaultKeepaliveInterval = 10 * time.Second
)

// maxEventBytes bounds one event or control message.
const maxEventBytes = 1 << 20

// eventBuffer is how many events a session keeps for a slow reader; older
// ones are dropped first.
const eventBuffer = 256

// ErrSessionEnded reports that the orchestrator ended a live session (its
// channels were closed: the stream was stopped, or the orchestrator gave up
// on it) without a more specific cause.
var ErrSessionEnded = errors.New("livepeer: live session ended by the orchestrator")

// LiveOptions configures Gateway.Live. The zero value is valid for a
// capability string that names the model ("live-video-to-video/noop") or a
// BYOC capability ("byoc/my-filter").
type LiveOptions struct {
	// Model is the live-video-to-video model id when the capability is the
	// bare "live-video-to-video".
	Model string
	// Params are the initial parameters: the LV2V "params" object, or the
	// BYOC stream start body.
	Params map[string]any
	// StreamID names the stream (LV2V stream_id; the BYOC stream id, which
	// must be unique: a random one is made when empty).
	StreamID string
	// RequestID is sent as gateway_request_id (LV2V).
	RequestID string

	// NoVideoIngress and NoVideoEgress turn off a BYOC stream's input or
	// output video channel; DataOutput turns on its data channel.
	NoVideoIngress, NoVideoEgress, DataOutput bool
	// JobTimeout is the BYOC timeout_seconds (default 30 s).
	JobTimeout time.Duration
	// SigningKey signs the BYOC job header instead of the remote signer
	// (see WithSigningKey); off-chain a fresh key is used when nil.
	SigningKey *ecdsa.PrivateKey

	// PaymentInterval is how often payments are sent, on a timer whether or
	// not output arrives (default DefaultLivePaymentInterval).
	PaymentInterval time.Duration
	// KeepaliveInterval is how often {"keep":"alive"} is sent on the control
	// channel (default DefaultKeepaliveInterval; negative disables).
	KeepaliveInterval time.Duration
	// StartTimeout bounds each orchestrator's start request (default: the
	// Gateway's request timeout).
	StartTimeout time.Duration
}

// LiveInfo describes a running live session.
type LiveInfo struct {
	Kind         string // "lv2v" or "byoc"
	Capability   string // "live-video-to-video/<model>" or "byoc/<name>"
	Orchestrator string // the orchestrator's service URI
	ManifestID   string // LV2V manifest id; the BYOC stream id
	StreamID     string
	PublishURL   string // media in ("" when the stream has none)
	SubscribeURL string // media out ("" when the stream has none)
	ControlURL   string
	EventsURL    string
	DataURL      string // BYOC data channel, when enabled
}

// LiveEvent is one message from a session's events channel. Data is the
// event object itself: ai-runner's {"queue_event_type", "event"} wrapper is
// removed, as go-livepeer's gateway does.
type LiveEvent struct {
	Type           string          // the event's "type" field, if any
	QueueEventType string          // the wrapper's queue_event_type, if any
	Data           json.RawMessage // the event JSON object
}

// JSON decodes the event into v.
func (e LiveEvent) JSON(v any) error { return json.Unmarshal(e.Data, v) }

// LiveSession is a running live job: media in (Publish / NextSegment),
// media out (Subscribe), control messages (Control), events (Events), with
// payments sent underneath on a timer. It ends on Close, when the ctx given
// to Live is cancelled, or when the orchestrator ends it or fails; Done is
// closed then and Err says why. Close is idempotent, tells the orchestrator
// (the input and control channels are deleted; a BYOC stream is stopped)
// and waits for every goroutine the session started.
//
// Methods are safe for concurrent use; each iterator has a single consumer.
type LiveSession struct {
	g    *Gateway
	info LiveInfo
	log  *slog.Logger
	hc   *http.Client
	tr   *http.Transport
	byoc *liveBYOC // nil for LV2V

	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	stopAF func() bool

	in, control *trickle.Publisher // nil when the stream has no such channel
	pay         *payment.Session   // LV2V
	sender      *payment.Sender

	events    chan LiveEvent
	eventsEnd chan struct{} // closed when the events reader stopped

	wg         sync.WaitGroup
	endOnce    sync.Once
	done       chan struct{}
	mu         sync.Mutex
	err        error
	inputEnded bool // EndInput was called: the orchestrator ending the stream is expected
}

// Info returns the session's orchestrator, ids and channel URLs.
func (s *LiveSession) Info() LiveInfo { return s.info }

// Done returns a channel closed when the session has ended and every
// goroutine it started has stopped.
func (s *LiveSession) Done() <-chan struct{} { return s.done }

// Err returns why the session ended: nil while it runs and after Close;
// ctx.Err() when the ctx given to Live was cancelled; an error wrapping
// ErrInsufficientBalance when the payer ran out of credit, ErrOrchestratorUnavailable
// when the orchestrator stopped answering, ErrSessionEnded when the
// orchestrator closed the stream, or the payment error that stopped payments.
func (s *LiveSession) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session: payments stop, the input and control channels
// are deleted (an LV2V stream ends when its input goes away), a BYOC stream
// is stopped (POST /ai/stream/stop), and Close waits for every goroutine.
// It is idempotent and returns nil; Err reports how a session that ended by
// itself ended.
func (s *LiveSession) Close() error {
	s.end(nil)
	<-s.done
	return nil
}

// end records the cause (the first one wins), cancels the session and
// tears it down in the background.
func (s *LiveSession) end(cause error) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.err = cause
		s.mu.Unlock()
		s.cancel()
		go s.teardown()
	})
}

func (s *LiveSession) teardown() {
	s.mu.Lock() // start may still be assigning these
	stopAF, sender := s.stopAF, s.sender
	s.mu.Unlock()
	if stopAF != nil {
		stopAF()
	}
	if sender != nil {
		_ = sender.Close()
	}
	s.wg.Wait()
	// Tell the orchestrator: deleting the input ends an LV2V stream.
	var wg sync.WaitGroup
	for _, p := range []*trickle.Publisher{s.in, s.control} {
		if p != nil {
			wg.Go(func() { _ = p.Close() })
		}
	}
	if s.byoc != nil {
		wg.Go(func() { s.byoc.stop(s) })
	}
	wg.Wait()
	if s.pay != nil {
		_ = s.pay.Close()
	}
	s.tr.CloseIdleConnections()
	close(s.done)
}

// merge returns a ctx cancelled when ctx or the session ends.
func (s *LiveSession) merge(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return c, func() { stop(); cancel() }
}

// sessionErr turns an error seen after the session ended into ErrClosed
// or the session's cause.
func (s *LiveSession) sessionErr(err error) error {
	if s.ctx.Err() == nil {
		return err
	}
	if cause := s.Err(); cause != nil {
		return cause
	}
	return fmt.Errorf("livepeer: live session: %w", ErrClosed)
}

// NextSegment opens the next input segment: write one MPEG-TS segment
// (starting with PAT/PMT and a keyframe) and Close it. Bytes reach the
// orchestrator as they are written. It has the shape of
// media.SegmentSink.NextSegment, so a session feeds media.NewSegmenter
// (H.264 access units) and media.Resegment (an MPEG-TS stream) directly.
// It fails with ErrClosed (or the session's cause) once the session ended,
// or ctx.Err().
func (s *LiveSession) NextSegment(ctx context.Context) (io.WriteCloser, error) {
	if s.in == nil {
		return nil, fmt.Errorf("livepeer: live session has no input channel: %w", ErrInvalidConfig)
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
		return fmt.Errorf("livepeer: live session has no input channel: %w", ErrInvalidConfig)
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
// oldest segment the orchestrator still holds.
func (s *LiveSession) Subscribe(ctx context.Context) iter.Seq2[*trickle.Segment, error] {
	return func(yield func(*trickle.Segment, error) bool) {
		if s.info.SubscribeURL == "" {
			yield(nil, fmt.Errorf("livepeer: live session has no output channel: %w", ErrInvalidConfig))
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

// Control sends one control message: msg is marshalled to JSON, or sent as
// is when it is a json.RawMessage or []byte holding JSON (for example a full
// StreamDiffusion parameter set). Errors: invalid JSON, ErrClosed (or the
// session's cause) after the session ended, ctx.Err(), or the write error.
func (s *LiveSession) Control(ctx context.Context, msg any) error {
	if s.control == nil {
		return fmt.Errorf("livepeer: live session has no control channel: %w", ErrInvalidConfig)
	}
	b, err := marshalMessage(msg)
	if err != nil {
		return err
	}
	mctx, cancel := s.merge(ctx)
	defer cancel()
	if err := s.control.Write(mctx, bytes.NewReader(b)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.sessionErr(fmt.Errorf("livepeer: control message: %w", err))
	}
	return nil
}

func marshalMessage(msg any) ([]byte, error) {
	var b []byte
	switch v := msg.(type) {
	case json.RawMessage:
		b = v
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(msg); err != nil {
			return nil, fmt.Errorf("livepeer: control message: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("livepeer: control message is not valid JSON: %w", ErrInvalidConfig)
	}
	if len(b) > maxEventBytes {
		return nil, fmt.Errorf("livepeer: control message larger than %d bytes: %w", maxEventBytes, ErrInvalidConfig)
	}
	return b, nil
}

// Update changes a running stream's parameters: for a BYOC stream it is
// POST /ai/stream/update (the worker's /stream/params); for
// live-video-to-video it is a control message.
func (s *LiveSession) Update(ctx context.Context, params any) error {
	if s.byoc == nil {
		return s.Control(ctx, params)
	}
	b, err := marshalMessage(params)
	if err != nil {
		return err
	}
	mctx, cancel := s.merge(ctx)
	defer cancel()
	return s.byoc.update(mctx, s, b)
}

// Events returns the session's events, in order, from the start of the
// session (up to 256 are kept for a slow reader, older ones dropped). The
// iterator ends when the events channel ends; if the session ended with a
// cause, that error is yielded last. It yields ctx.Err() when ctx is
// cancelled. Events is meant for one consumer at a time.
func (s *LiveSession) Events(ctx context.Context) iter.Seq2[LiveEvent, error] {
	return func(yield func(LiveEvent, error) bool) {
		for {
			select {
			case ev, ok := <-s.events:
				if !ok {
					if cause := s.Err(); cause != nil {
						yield(LiveEvent{}, cause)
					}
					return
				}
				if !yield(ev, nil) {
					return
				}
			case <-ctx.Done():
				yield(LiveEvent{}, ctx.Err())
				return
			}
		}
	}
}

// readEvents reads the events channel into the buffer until it ends. The
// end of the channel ends the session (the orchestrator closes every
// channel together); a failure to reach it ends the session with
// ErrOrchestratorUnavailable.
func (s *LiveSession) readEvents(sub *trickle.Subscriber) {
	defer close(s.events)
	defer sub.Close()
	for {
		seg, err := sub.Next(s.ctx)
		if err != nil {
			switch {
			case s.ctx.Err() != nil:
			case errors.Is(err, trickle.ErrEndOfStream), errors.Is(err, trickle.ErrStreamNotFound):
				s.end(s.endedByOrchestrator())
			default:
				s.end(fmt.Errorf("livepeer: live events from %s: %w: %w", s.info.Orchestrator, ErrOrchestratorUnavailable, err))
			}
			return
		}
		b, rerr := io.ReadAll(io.LimitReader(seg, maxEventBytes))
		seg.Close()
		if rerr != nil || len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		ev, ok := parseEvent(b)
		if !ok {
			s.log.Debug("live: ignoring malformed event", "bytes", len(b))
			continue
		}
		for {
			select {
			case s.events <- ev:
			default:
				select { // full: drop the oldest
				case <-s.events:
				default:
				}
				continue
			}
			break
		}
	}
}

// endedByOrchestrator is the cause recorded when the orchestrator closed
// the stream: nil after EndInput (expected), else ErrSessionEnded.
func (s *LiveSession) endedByOrchestrator() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inputEnded {
		return nil
	}
	return ErrSessionEnded
}

// parseEvent unwraps {"queue_event_type": ..., "event": {...}} or takes a
// bare JSON object.
func parseEvent(b []byte) (LiveEvent, bool) {
	var w struct {
		QueueEventType string          `json:"queue_event_type"`
		Event          json.RawMessage `json:"event"`
	}
	if json.Unmarshal(b, &w) != nil {
		return LiveEvent{}, false
	}
	data := w.Event
	if len(data) == 0 || string(data) == "null" {
		data = b
	}
	var typ struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &typ) != nil {
		return LiveEvent{}, false
	}
	return LiveEvent{Type: typ.Type, QueueEventType: w.QueueEventType, Data: bytes.Clone(data)}, true
}

// keepalive sends {"keep":"alive"} on the control channel every interval.
// A control channel that is gone ends the session.
func (s *LiveSession) keepalive(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		err := s.control.Write(s.ctx, strings.NewReader(`{"keep":"alive"}`))
		if errors.Is(err, trickle.ErrStreamNotFound) || errors.Is(err, trickle.ErrEndOfStream) {
			if s.ctx.Err() == nil {
				s.end(s.endedByOrchestrator())
			}
			return
		}
	}
}

// start wires the channels and goroutines of a session whose job the
// orchestrator accepted. send is the payment function (nil: no payments).
func (s *LiveSession) start(ctx context.Context, o *LiveOptions, send func(context.Context) error) error {
	var err error
	if s.info.PublishURL != "" {
		if s.in, err = trickle.NewPublisher(s.info.PublishURL, trickle.PublisherConfig{MimeType: "video/MP2T", HTTPClient: s.hc, Logger: s.log, CloseTimeout: 3 * time.Second}); err != nil {
			return err
		}
	}
	if s.info.ControlURL != "" {
		if s.control, err = trickle.NewPublisher(s.info.ControlURL, trickle.PublisherConfig{MimeType: "application/json", HTTPClient: s.hc, Logger: s.log, CloseTimeout: 3 * time.Second}); err != nil {
			return err
		}
	}
	s.events = make(chan LiveEvent, eventBuffer)
	if s.info.EventsURL != "" {
		sub, err := trickle.NewSubscriber(s.info.EventsURL, trickle.SubscriberConfig{HTTPClient: s.hc, Logger: s.log})
		if err != nil {
			return err
		}
		s.wg.Go(func() { s.readEvents(sub) })
	} else {
		close(s.events)
	}
	if s.control != nil && o.KeepaliveInterval >= 0 {
		iv := o.KeepaliveInterval
		if iv == 0 {
			iv = DefaultKeepaliveInterval
		}
		s.wg.Go(func() { s.keepalive(iv) })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if send != nil {
		iv := o.PaymentInterval
		if iv <= 0 {
			iv = DefaultLivePaymentInterval
		}
		s.sender = payment.StartSender(s.ctx, payment.SenderConfig{Interval: iv, Send: send, Logger: s.log, OnStop: func(err error) {
			if err != nil {
				s.end(err)
			}
		}})
	}
	s.stopAF = context.AfterFunc(ctx, func() { s.end(ctx.Err()) })
	return nil
}

// newLiveSession builds the session shell shared by both kinds.
func (g *Gateway) newLiveSession(info *discovery.Info, capability string) *LiveSession {
	tr := orchestratorTransport()
	s := &LiveSession{g: g, log: g.set.log, tr: tr, hc: &http.Client{Transport: tr}, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.info.Capability = capability
	s.info.Orchestrator = strings.TrimRight(info.Transcoder, "/")
	return s
}

// abandon releases a session shell whose start failed.
func (s *LiveSession) abandon() {
	s.cancel()
	s.tr.CloseIdleConnections()
}

// Live starts a live session for capability: "live-video-to-video/<model>"
// (or "live-video-to-video" with LiveOptions.Model), or a BYOC stream
// capability "byoc/<name>". It selects an orchestrator, starts the job (with
// the first payment), fails over to the next orchestrator while a start is
// refused, and returns the running session; payments then run on a timer
// and {"keep":"alive"} goes on the control channel every 10 s.
//
// ctx bounds the start and the whole session: cancelling it ends the
// session as Close does (Err then returns ctx.Err()). Errors: a
// *CapabilityError or *ConfigError for bad arguments; a *NoOrchestratorError
// (errors.Is(err, ErrNoOrchestrator)) listing every refusal when no
// orchestrator started the job; an error wrapping ErrInsufficientBalance
// when the payer is out of credit; ctx.Err(); ErrClosed after Gateway.Close.
func (g *Gateway) Live(ctx context.Context, capability string, opts LiveOptions) (*LiveSession, error) {
	if g.closed.Load() {
		return nil, ErrClosed
	}
	c, err := discovery.ParseCapability(capability)
	if err != nil {
		return nil, err
	}
	switch {
	case c.IsBYOC():
		return g.liveBYOC(ctx, c, &opts)
	case c.ID == discovery.CapLiveVideoToVideo:
		if c.Model == "" {
			c.Model = opts.Model
		} else if opts.Model != "" && opts.Model != c.Model {
			return nil, &ConfigError{Field: "Model", Reason: fmt.Sprintf("%q conflicts with the capability's model %q", opts.Model, c.Model)}
		}
		if c.Model == "" {
			return nil, &ConfigError{Field: "Model", Reason: "live-video-to-video needs a model: \"live-video-to-video/<model>\" or LiveOptions.Model"}
		}
		return g.liveLV2V(ctx, c, &opts)
	}
	return nil, &ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a live capability (live-video-to-video/<model> or byoc/<name>)", capability)}
}

// startTimeout is the per-orchestrator bound of a start request.
func (g *Gateway) startTimeout(o *LiveOptions) time.Duration {
	if o.StartTimeout > 0 {
		return o.StartTimeout
	}
	if g.set.requestTimeout > 0 {
		return g.set.requestTimeout
	}
	return 10 * time.Second
}

// rejectionKind classifies an orchestrator's refusal of a start.
func rejectionKind(status int, body string) error {
	switch {
	case strings.Contains(strings.ToLower(body), "insufficient balance"):
		return ErrInsufficientBalance
	case status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return ErrPaymentFailed
	case status >= 500:
		return ErrOrchestratorUnavailable
	}
	return nil
}
