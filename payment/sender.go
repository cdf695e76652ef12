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

// SenderOptions tunes a Sender; the zero value (or nil) gives the defaults.
type SenderOptions struct {
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

// StartSender calls send every interval (the first call one interval after
// the start) until Close, ctx cancellation, or a stopping error:
// ErrInsufficientBalance stops at once, and MaxConsecutiveFailures failures
// in a row stop with the last one (wrapped). ErrNoTicketsNeeded skips the
// cycle; other errors are logged and retried at the next tick. send gets a
// ctx that Close cancels. A non-positive interval or nil send gives a
// Sender that is already stopped with a *lperr.ConfigError.
func StartSender(ctx context.Context, interval time.Duration, send func(ctx context.Context) error, opts *SenderOptions) *Sender {
	var o SenderOptions
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConsecutiveFailures <= 0 {
		o.MaxConsecutiveFailures = DefaultMaxConsecutiveFailures
	}
	s := &Sender{done: make(chan struct{})}
	if interval <= 0 || send == nil {
		s.cancel = func() {}
		s.err = &lperr.ConfigError{Field: "Sender", Reason: "needs a positive interval and a send function"}
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

func (s *Sender) run(ctx context.Context, interval time.Duration, send func(context.Context) error, o SenderOptions) {
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
				stopErr = fmt.Errorf("livepeer: payments stopped after %d consecutive failures: %w", failures, err)
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
