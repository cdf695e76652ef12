package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// DefaultMaxConsecutiveFailures stops a Sender after this many failed sends in a row.
const DefaultMaxConsecutiveFailures = 5

// SenderConfig configures a Sender: Interval and Send are required, the
// other fields have defaults.
type SenderConfig struct {
	// Interval is the time between sends; the first send is one interval
	// after the start (not on output: a silent pipeline still gets paid).
	Interval time.Duration
	// Send makes one payment. Its ctx is cancelled by Close.
	Send func(ctx context.Context) error
	// Logger receives a warning per failed send (default: silent).
	Logger *slog.Logger
	// MaxConsecutiveFailures stops the Sender after that many failures in a
	// row (default 5); ErrNoTicketsNeeded is not a failure.
	MaxConsecutiveFailures int
	// OnStop, if set, is called once from the Sender's goroutine with the
	// error that stopped it (nil after Close or ctx cancellation).
	OnStop func(error)
}

// Sender calls a send function on a fixed interval until it is stopped.
// Its methods are safe for concurrent use.
type Sender struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
}

// StartSender calls cfg.Send every cfg.Interval until Close, ctx
// cancellation, or a stopping error: livepeer.ErrInsufficientBalance stops
// at once, and MaxConsecutiveFailures failures in a row stop with the last
// one (wrapped). livepeer.ErrNoTicketsNeeded skips the cycle; other errors
// are logged and retried at the next tick. A non-positive interval or a nil
// Send gives a Sender that is already stopped with a *livepeer.ConfigError.
func StartSender(ctx context.Context, cfg SenderConfig) *Sender {
	o := cfg
	interval, send := cfg.Interval, cfg.Send
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConsecutiveFailures <= 0 {
		o.MaxConsecutiveFailures = DefaultMaxConsecutiveFailures
	}
	s := &Sender{done: make(chan struct{})}
	if interval <= 0 || send == nil {
		s.cancel = func() {}
		s.err = &lperr.ConfigError{Field: "Interval", Reason: "a Sender needs a positive Interval and a Send function"}
		close(s.done)
		if o.OnStop != nil {
			o.OnStop(s.err)
		}
		return s
	}
	ctx, s.cancel = context.WithCancel(ctx)
	go s.run(ctx, interval, send, o)
	return s
}

func (s *Sender) run(ctx context.Context, interval time.Duration, send func(context.Context) error, o SenderConfig) {
	var stopErr error
	defer func() {
		s.mu.Lock()
		s.err = stopErr
		s.mu.Unlock()
		if o.OnStop != nil {
			o.OnStop(stopErr)
		}
		close(s.done)
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := send(ctx)
		switch {
		case err == nil, errors.Is(err, lperr.ErrNoTicketsNeeded):
			failures = 0
		case ctx.Err() != nil:
			return
		case errors.Is(err, lperr.ErrInsufficientBalance):
			o.Logger.Warn("payments stopped: insufficient balance", slog.String("error", err.Error()))
			stopErr = err
			return
		default:
			failures++
			o.Logger.Warn("payment failed", slog.Int("consecutive", failures), slog.String("error", err.Error()))
			if failures >= o.MaxConsecutiveFailures {
				stopErr = fmt.Errorf("payment: payments stopped after %d consecutive failures: %w", failures, err)
				return
			}
		}
	}
}

// Done is closed once the Sender has stopped.
func (s *Sender) Done() <-chan struct{} { return s.done }

// Err returns the error that stopped the Sender: nil while it runs and
// after Close or ctx cancellation.
func (s *Sender) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops the Sender, waits for its goroutine (and any send in flight,
// whose ctx is cancelled) and returns Err. It is idempotent.
func (s *Sender) Close() error {
	s.once.Do(s.cancel)
	<-s.done
	return s.Err()
}
