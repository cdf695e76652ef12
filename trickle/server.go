package trickle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ServerConfig configures a Server. The zero value is usable.
type ServerConfig struct {
	// BasePath prefixes every route; it must start and end with "/"
	// (default "/"). go-livepeer's orchestrator uses "/ai/trickle/".
	BasePath string
	// Autocreate lets a POST to an unknown channel create it (POST B{name}
	// or POST B{name}/{seq}). Off by default, as on an orchestrator, where
	// channels are created with CreateChannel.
	Autocreate bool
	// IdleTimeout closes and removes channels with no new segment for this
	// long (default 5 min). Channels whose name starts with "_" are never
	// swept.
	IdleTimeout time.Duration
	// SweepInterval is how often idle channels are looked for (default
	// 1 min, or IdleTimeout/2 when that is shorter).
	SweepInterval time.Duration
	// KeepaliveInterval is how often an idle preconnected POST gets a
	// "100 Continue" informational response (default 10 s, as go-livepeer).
	KeepaliveInterval time.Duration
	// RememberClosed, when positive, keeps the names of closed channels for
	// that long, and answers requests for them as for a closed channel
	// (Lp-Trickle-Closed) instead of 404, so a subscriber that asks after
	// the end still learns it was a clean end. Off by default, as on
	// go-livepeer, whose server forgets a closed channel at once (later
	// requests get 404 "Stream not found"; trickle/trickle_server.go).
	RememberClosed time.Duration
	// Logger receives debug logs; default discards.
	Logger *slog.Logger
}

// Server is an http.Handler serving trickle channels with go-livepeer's
// semantics (see the package documentation of go-livepeer trickle/):
//
//	POST   B{name}        create (only with Autocreate; mime from Expect-Content)
//	GET    B{name}/next   next write seq in Lp-Trickle-Latest and the body
//	GET    B{name}/{seq}  subscribe (-1 next write, -2 current write)
//	POST   B{name}/{seq}  publish (-1 next write)
//	DELETE B{name}/{seq}  close one segment
//	DELETE B{name}        close and remove the channel
//
// Divergences from go-livepeer (trickle/trickle_server.go), each so that no
// data is lost or acknowledged without being stored:
//   - A POST that cannot be stored is answered 409 Conflict, never 200: a
//     seq already written or closed (go-livepeer: 200, data dropped), a seq
//     another POST is writing (go-livepeer interleaves both), a seq older
//     than the segment in its ring slot (go-livepeer evicts the newer one),
//     and a segment cut while being written (evicted, Lp-Trickle-Reset,
//     DELETE of the seq, channel closed; go-livepeer answers 200).
//   - A newer POST takes an idle pre-opened POST's seq over (the newest
//     writer wins, as in go-livepeer); the displaced one gets 409.
//   - The write head (/next, seq -1) only moves forward: a late POST of an
//     old seq does not move it back.
//   - A segment cut while being written ends its readers with an error (an
//     unterminated chunked body), never a clean end of truncated data.
//   - Sequence numbers below -2 (or -1 on DELETE and -2 on POST) get 400
//     instead of crashing the handler; waiting GETs end when the client goes
//     away or the Server closes; there is no changefeed.
//
// All methods are safe for concurrent use.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	mux    *http.ServeMux
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu       sync.Mutex
	channels map[string]*srvChannel
	ended    map[string]endedChannel // recently closed channels (see CloseChannel)

	closeOnce sync.Once
	sweepDone chan struct{}
}

// NewServer returns a Server and starts its idle-channel sweeper; call Close
// to stop it. It panics on nothing: an invalid BasePath is normalised.
func NewServer(cfg ServerConfig) *Server {
	if cfg.BasePath == "" {
		cfg.BasePath = "/"
	}
	if !strings.HasPrefix(cfg.BasePath, "/") {
		cfg.BasePath = "/" + cfg.BasePath
	}
	if !strings.HasSuffix(cfg.BasePath, "/") {
		cfg.BasePath += "/"
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = min(time.Minute, max(cfg.IdleTimeout/2, time.Millisecond))
	}
	if cfg.KeepaliveInterval <= 0 {
		cfg.KeepaliveInterval = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), channels: map[string]*srvChannel{},
		ended: map[string]endedChannel{}, sweepDone: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	b := cfg.BasePath
	s.mux.HandleFunc("POST "+b+"{name}", s.handleCreate)
	s.mux.HandleFunc("GET "+b+"{name}/next", s.handleNext)
	s.mux.HandleFunc("GET "+b+"{name}/{seq}", s.handleGet)
	s.mux.HandleFunc("POST "+b+"{name}/{seq}", s.handlePost)
	s.mux.HandleFunc("DELETE "+b+"{name}/{seq}", s.handleDeleteSeq)
	s.mux.HandleFunc("DELETE "+b+"{name}", s.handleDelete)
	go s.sweep()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// BasePath returns the normalised base path routes live under.
func (s *Server) BasePath() string { return s.cfg.BasePath }

// CreateChannel creates a channel (a no-op if it already exists). It fails
// with an error wrapping ErrClosed after Close, or an error for an invalid
// name.
func (s *Server) CreateChannel(name, mime string) error {
	if name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("trickle: invalid channel name %q", name)
	}
	if s.getOrCreate(name, mime, true) == nil {
		return errServerIsClosed
	}
	return nil
}

// CloseChannel closes a channel, ending its subscribers and preconnected
// publishers, and removes it. Later requests for the name get 404, as on
// go-livepeer, unless ServerConfig.RememberClosed is set (then they are
// answered as for a closed channel for that long). It returns
// ErrStreamNotFound for an unknown channel.
func (s *Server) CloseChannel(name string) error {
	s.mu.Lock()
	c := s.channels[name]
	delete(s.channels, name)
	if c != nil {
		next, _ := c.state()
		s.rememberEndedLocked(name, next)
	}
	s.mu.Unlock()
	if c == nil {
		return ErrStreamNotFound
	}
	c.close()
	s.log.Debug("trickle: channel closed", "channel", name)
	return nil
}

// Channels returns the names of the open channels, in no particular order.
func (s *Server) Channels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.channels))
	for n := range s.channels {
		out = append(out, n)
	}
	return out
}

// Close stops the sweeper, closes every channel and ends every waiting
// request (they return at once): subscribers get the end-of-stream signal,
// also those that ask later, while this handler still serves. It is
// idempotent and waits for the sweeper. Connections belong to the
// http.Server serving this handler.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.sweepDone
		s.mu.Lock()
		chs := s.channels
		s.channels = map[string]*srvChannel{}
		for name, c := range chs {
			next, _ := c.state()
			s.rememberEndedLocked(name, next)
		}
		s.mu.Unlock()
		for _, c := range chs {
			c.close()
		}
	})
	return nil
}

func (s *Server) sweep() {
	defer close(s.sweepDone)
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		var idle []string
		now := time.Now()
		for name, c := range s.channels {
			if strings.HasPrefix(name, "_") {
				continue
			}
			c.mu.Lock()
			if now.Sub(c.writeTime) > s.cfg.IdleTimeout {
				idle = append(idle, name)
			}
			c.mu.Unlock()
		}
		s.pruneEndedLocked(now)
		s.mu.Unlock()
		for _, n := range idle {
			if s.CloseChannel(n) == nil {
				s.log.Debug("trickle: idle channel swept", "channel", n)
			}
		}
	}
}

func (s *Server) getChannel(name string) *srvChannel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channels[name]
}

func (s *Server) getOrCreate(name, mime string, force bool) *srvChannel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil
	}
	c := s.channels[name]
	if c == nil && (force || s.cfg.Autocreate) {
		c = &srvChannel{name: name, mime: mime, writeTime: time.Now()}
		s.channels[name] = c
		delete(s.ended, name)
		s.log.Debug("trickle: channel created", "channel", name)
	}
	return c
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	if s.getOrCreate(r.PathValue("name"), r.Header.Get(HeaderExpect), false) == nil {
		http.Error(w, "Stream not found", http.StatusNotFound)
	}
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.CloseChannel(r.PathValue("name")); err != nil {
		http.Error(w, "Invalid stream", http.StatusBadRequest)
	}
}

func (s *Server) handleDeleteSeq(w http.ResponseWriter, r *http.Request) {
	c := s.getChannel(r.PathValue("name"))
	if c == nil {
		http.Error(w, "Stream not found", http.StatusNotFound)
		return
	}
	seq, ok := ParseSeq(r.PathValue("seq"))
	if !ok || seq < 0 {
		http.Error(w, "Invalid idx", http.StatusBadRequest)
		return
	}
	seg := c.lookup(seq)
	if seg == nil {
		http.Error(w, "Nonexistent segment", http.StatusBadRequest)
		return
	}
	seg.cut()
}

func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	c := s.getChannel(r.PathValue("name"))
	var next int
	closed := true
	if c != nil {
		next, closed = c.state()
	} else if e, ok := s.endedChannel(r.PathValue("name")); ok {
		next = e.next
	} else {
		http.Error(w, "Stream not found", http.StatusNotFound)
		return
	}
	v := strconv.Itoa(next)
	w.Header().Set(HeaderLatest, v)
	if closed {
		w.Header().Set(HeaderClosed, ClosedValue)
	}
	_, _ = w.Write([]byte(v))
}

// errEarlyEnd and errServerClosing tell handlePost that the wait for the
// first byte ended because the segment (or its channel) or the server
// closed.
var (
	errEarlyEnd      = errors.New("segment closed before first byte")
	errServerClosing = errors.New("server closing")
)
