package livepeer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// ErrSessionEnded reports that the orchestrator ended a live session (its
// channels were closed: the stream was stopped, or the orchestrator gave up
// on it) without a more specific cause.
var ErrSessionEnded = errors.New("livepeer: live session ended by the orchestrator")

// stopTimeout bounds the stop request Close sends to a BYOC orchestrator.
const stopTimeout = 5 * time.Second

// LiveSession is a running live stream: media in (Publish / NextSegment),
// media out (Subscribe), control messages (Control, Update), events
// (Events), with payments sent underneath on a timer. It ends on Close,
// when the ctx given to Live is cancelled, or when the orchestrator ends it
// or fails; Done is closed then and Err says why.
//
// Close is idempotent and tells the orchestrator, in a fixed order: the
// payments stop; a BYOC stream is stopped (POST /ai/stream/stop, the
// orchestrator's own end: billing and the worker stop, and it records the
// stream as stopped); only then are the input and control channels deleted
// (for live-video-to-video, deleting the input is the end). Close waits
// for every goroutine the session started.
//
// Methods are safe for concurrent use; each iterator has a single consumer.
type LiveSession struct {
	info LiveInfo
	job  *liveJob
	log  *slog.Logger
	hc   *http.Client
	tr   *http.Transport

	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	stopAF func() bool

	in, control *trickle.Publisher // nil when the stream has no such channel
	sender      *payment.Sender

	events chan LiveEvent

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
// ErrInsufficientBalance when the payer ran out of credit,
// ErrOrchestratorUnavailable when the orchestrator stopped answering,
// ErrSessionEnded when the orchestrator closed the stream, or the payment
// error that stopped payments.
func (s *LiveSession) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session (see LiveSession for what the orchestrator is
// told, in which order) and waits for every goroutine. It is idempotent
// and returns nil; Err reports how a session that ended by itself ended.
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

// teardown stops payments and the session's goroutines, then tells the
// orchestrator: the kind's stop first (BYOC), the channel deletes after,
// so the orchestrator sees one end, in one order, every time.
func (s *LiveSession) teardown() {
	s.mu.Lock() // startSession may still be assigning these
	stopAF, sender := s.stopAF, s.sender
	s.mu.Unlock()
	if stopAF != nil {
		stopAF()
	}
	if sender != nil {
		_ = sender.Close()
	}
	s.wg.Wait()
	if s.job.stop != nil {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		if err := s.job.stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Debug("live: stop request failed", "stream_id", s.info.StreamID, "error", err)
		}
		cancel()
	}
	var wg sync.WaitGroup
	for _, p := range []*trickle.Publisher{s.in, s.control} {
		if p != nil {
			wg.Go(func() { _ = p.Close() })
		}
	}
	wg.Wait()
	if s.job.close != nil {
		s.job.close()
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

// startSession wires the channels and goroutines of a stream an
// orchestrator started. On error the stream is torn down (stopped, its
// channels deleted) before it returns.
func (g *Gateway) startSession(ctx context.Context, tr *http.Transport, hc *http.Client, job *liveJob, o *callOptions) (*LiveSession, error) {
	s := &LiveSession{info: job.info, job: job, log: g.set.log, tr: tr, hc: hc, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.start(ctx, o); err != nil {
		s.end(err)
		<-s.done
		return nil, err
	}
	g.set.log.Debug("live: started", "kind", s.info.Kind, "orchestrator", s.info.Orchestrator, "stream", s.info.ManifestID)
	return s, nil
}

// start opens the channels and starts the events reader, the keepalive and
// the payment sender; ctx ending ends the session.
func (s *LiveSession) start(ctx context.Context, o *callOptions) error {
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
	if s.control != nil && o.keepalive > 0 {
		s.wg.Go(func() { s.keepalive(o.keepalive) })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.job.pay != nil {
		s.sender = payment.StartSender(s.ctx, payment.SenderConfig{Interval: o.paymentInterval, Send: s.job.pay, Logger: s.log, OnStop: func(err error) {
			if err != nil {
				s.end(err)
			}
		}})
	}
	s.stopAF = context.AfterFunc(ctx, func() { s.end(ctx.Err()) })
	return nil
}
