package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Runner is a live runner: its registrations with orchestrators and its
// sessions. Create it with New, wrap the application with Handler, serve
// it, then call Start. Safe for concurrent use.
type Runner struct {
	cfg       Config
	log       *slog.Logger
	hc        *http.Client
	ownClient bool

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	loopWG sync.WaitGroup // registration loops and their O2R readers
	wg     sync.WaitGroup // OnSession calls, video runs

	mu       sync.Mutex
	reg      Registration
	loops    []*regLoop
	sessions map[string]*Session  // tracked sessions by control URL
	ended    map[string]time.Time // recently ended tracked sessions, by control URL
	started  bool
	closed   bool
	closeErr error
	closing  sync.Once
}

// New validates cfg and returns a Runner. It does no I/O. Errors wrap
// ErrInvalidConfig and name the field.
func New(cfg Config) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	r := &Runner{cfg: cfg, log: cfg.Logger, hc: cfg.HTTPClient, reg: cfg.Registration,
		sessions: map[string]*Session{}, ended: map[string]time.Time{}}
	if r.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if !cfg.VerifyTLS {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // orchestrators use self-signed certificates
		}
		r.hc, r.ownClient = &http.Client{Transport: tr}, true
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for _, o := range cfg.Orchestrators {
		r.loops = append(r.loops, &regLoop{r: r, o: o, wake: make(chan struct{}, 1)})
	}
	return r, nil
}

// Start registers with every configured orchestrator and starts the
// heartbeats. It returns once each orchestrator has accepted the
// registration (network errors and 5xx answers are retried with backoff
// until ctx ends) or one refused it: then the registrations already made
// are withdrawn and the error is returned (a *RefusedError for a refusal —
// 400 invalid registration, 401 wrong secret, 404 dynamic registration
// disabled — or ctx's error joined with the last failures). Start may be
// called once; ErrClosed after Close.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	if r.started {
		r.mu.Unlock()
		return errors.New("runner: Start called twice")
	}
	r.started = true
	loops := r.loops
	r.mu.Unlock()
	ctx, stop := mergeCancel(ctx, r.ctx)
	defer stop()
	errs := make([]error, len(loops))
	var wg sync.WaitGroup
	for i, l := range loops {
		wg.Go(func() { errs[i] = l.first(ctx) })
	}
	wg.Wait()
	err := errors.Join(errs...)
	r.mu.Lock()
	if err == nil && r.closed {
		err = ErrClosed
	}
	if err == nil {
		for _, l := range loops {
			r.loopWG.Add(1)
			go l.run()
		}
	}
	r.mu.Unlock()
	if err != nil {
		uctx, cancel := context.WithTimeout(context.Background(), r.cfg.CloseTimeout)
		defer cancel()
		for i, l := range loops {
			if errs[i] == nil {
				_ = l.unregister(uctx)
			}
		}
	}
	return err
}

// mergeCancel returns a context cancelled when either a or b is done.
func mergeCancel(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() { stop(); cancel() }
}

// Update changes the registration (fn edits a copy; URL and App may not
// change) and sends it at once to every orchestrator the runner is
// registered with, waiting for their answers. It returns an error wrapping
// ErrInvalidConfig (nothing changed) or the heartbeats' errors.
func (r *Runner) Update(ctx context.Context, fn func(*Registration)) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	next := r.reg
	if next.GPU != nil {
		g := *next.GPU
		next.GPU = &g
	}
	if next.Price != nil {
		p := *next.Price
		next.Price = &p
	}
	fn(&next)
	if next.URL != r.reg.URL || next.App != r.reg.App {
		r.mu.Unlock()
		return invalid("Registration", "URL and App cannot change")
	}
	if err := next.validate(); err != nil {
		r.mu.Unlock()
		return err
	}
	r.reg = next
	loops := r.loops
	r.mu.Unlock()
	errs := make([]error, len(loops))
	var wg sync.WaitGroup
	for i, l := range loops {
		wg.Go(func() { errs[i] = l.heartbeatNow(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Registration returns the current registration.
func (r *Runner) Registration() Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reg
}

// OrchestratorStatus describes one registration (Status).
type OrchestratorStatus struct {
	URL           string        // as configured
	Registered    bool          // the orchestrator accepted the last registration or heartbeat
	RunnerID      string        // the current runner id ("" before the first registration)
	Interval      time.Duration // the heartbeat interval it asked for
	TTL           time.Duration
	Heartbeats    int   // heartbeats accepted since Start
	Registrations int   // registrations accepted since Start (re-registrations included)
	LastError     error // the last refusal or failure, nil after a success
}

// Status reports each orchestrator's registration, in configuration order.
func (r *Runner) Status() []OrchestratorStatus {
	out := make([]OrchestratorStatus, len(r.loops))
	for i, l := range r.loops {
		out[i] = l.status()
	}
	return out
}

// Credentials returns the live registration with each orchestrator (a
// zero value where there is none), in configuration order, for
// Orchestrator.Resume after a restart.
func (r *Runner) Credentials() []Credentials {
	out := make([]Credentials, len(r.loops))
	for i, l := range r.loops {
		out[i] = l.credentials()
	}
	return out
}

// Close unregisters from every orchestrator (bounded by
// Config.CloseTimeout), ends every session (their Contexts), stops the
// heartbeats, the O2R readers and the video runs, and waits for every
// goroutine the Runner started. It returns the unregistrations' errors.
// Idempotent.
func (r *Runner) Close() error {
	r.closing.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		r.cancel() // stops the loops (a heartbeat in flight is abandoned)
		r.loopWG.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.CloseTimeout)
		defer cancel()
		errs := make([]error, len(r.loops))
		var wg sync.WaitGroup
		for i, l := range r.loops {
			wg.Go(func() { errs[i] = l.unregister(ctx) })
		}
		wg.Wait()
		r.mu.Lock()
		sessions := make([]*Session, 0, len(r.sessions))
		for _, s := range r.sessions {
			sessions = append(sessions, s)
		}
		r.mu.Unlock()
		for _, s := range sessions {
			r.endSession(s, "runner closed")
		}
		r.wg.Wait()
		if r.ownClient {
			r.hc.CloseIdleConnections()
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// goTracked runs f in a goroutine Close waits for; false after Close.
func (r *Runner) goTracked(f func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
	return true
}
