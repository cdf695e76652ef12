package runner

import (
	"context"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Session is one live session of the runner: a client's reservation on
// an orchestrator (or one single-shot request). It is learned from the O2R
// channel, from a heartbeat's session_ids or from a proxied request
// (Handler). Its methods call the orchestrator's session callbacks with the
// session token, which only proxied requests carry: until one has reached
// Handler, Token is "" and the callbacks fail with ErrNoSession. Safe for
// concurrent use.
type Session struct {
	r       *Runner
	loop    *regLoop // nil for a session of a registration this Runner did not make
	id      string
	route   string
	control string
	ctx     context.Context
	cancel  context.CancelFunc

	mu     sync.Mutex
	token  string
	seen   time.Time // when the Runner learned of it
	ended  bool
	reason string
}

// ID returns the session id (a paid session's manifest id).
func (s *Session) ID() string { return s.id }

// Route returns the route the orchestrator uses for this runner (its
// runner id, or a static label).
func (s *Session) Route() string { return s.route }

// ControlURL returns the runner-facing base of the session's callbacks
// ({orchestrator}/runner/{route}/session/{id}).
func (s *Session) ControlURL() string { return s.control }

// Token returns the session token ("" until a proxied request brought it).
// It is a secret.
func (s *Session) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Context ends when the session does: released by the orchestrator (O2R
// event, missing from a heartbeat's session_ids, a callback answering 404,
// Stop), its registration lost, or the Runner closed. For a session of a
// registration this Runner did not make (a static runner), it ends only at
// Close or when a callback answers 404.
func (s *Session) Context() context.Context { return s.ctx }

// Ended reports whether the session ended, and why ("released", "stopped",
// "not in session_ids", "registration lost", "runner closed", "gone").
func (s *Session) Ended() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended, s.reason
}

// Sessions returns the sessions the Runner tracks (those of its own
// registrations), by control URL order.
func (r *Runner) Sessions() []*Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Session, 0, len(r.sessions))
	for _, k := range sortedKeys(r.sessions) {
		out = append(out, r.sessions[k])
	}
	return out
}

func controlURL(orch, route, id string) string {
	u, err := url.JoinPath(orch, "runner", route, "session", id)
	if err != nil {
		return ""
	}
	return u
}

// learn returns the tracked session id of l's registration runnerID,
// creating it (and calling OnSession) if new; token, when set, is recorded.
func (r *Runner) learn(l *regLoop, runnerID, orch, id, token string, seen time.Time) *Session {
	control := controlURL(orch, runnerID, id)
	r.mu.Lock()
	if r.closed || control == "" {
		r.mu.Unlock()
		return nil
	}
	s := r.sessions[control]
	if s == nil {
		s = &Session{r: r, loop: l, id: id, route: runnerID, control: control, seen: seen}
		s.ctx, s.cancel = context.WithCancel(r.ctx)
		r.sessions[control] = s
		if r.cfg.OnSession != nil {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.cfg.OnSession(s)
			}()
		}
		r.log.Info("runner: session", "orchestrator", l.o.URL, "session_id", id)
	}
	r.mu.Unlock()
	if token != "" {
		s.mu.Lock()
		if s.token == "" {
			s.token = token
		}
		s.mu.Unlock()
	}
	return s
}

// endSession ends a session once: its Context is cancelled and it leaves
// the table.
func (r *Runner) endSession(s *Session, reason string) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended, s.reason = true, reason
	s.mu.Unlock()
	if s.loop != nil {
		r.mu.Lock()
		if r.sessions[s.control] == s {
			delete(r.sessions, s.control)
		}
		r.ended[s.control] = time.Now()
		r.mu.Unlock()
		r.log.Info("runner: session ended", "session_id", s.id, "reason", reason)
	}
	if s.cancel != nil {
		s.cancel()
	}
}

// endByID ends l's session id (an O2R "released").
func (r *Runner) endByID(l *regLoop, id, reason string) {
	for _, s := range r.loopSessions(l) {
		if s.id == id {
			r.endSession(s, reason)
		}
	}
}

func (r *Runner) endLoopSessions(l *regLoop, reason string) {
	for _, s := range r.loopSessions(l) {
		r.endSession(s, reason)
	}
}

func (r *Runner) loopSessions(l *regLoop) []*Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Session
	for _, s := range r.sessions {
		if s.loop == l {
			out = append(out, s)
		}
	}
	return out
}

// sessionIDs lists l's session ids for a heartbeat.
func (r *Runner) sessionIDs(l *regLoop) []string {
	var ids []string
	for _, s := range r.loopSessions(l) {
		ids = append(ids, s.id)
	}
	slices.Sort(ids)
	return ids
}

// reconcile applies a registration answer's authoritative session_ids
// (go-livepeer: "ordered by creation time ... usually by stopping stale
// local sessions"): a local session missing from ids ends unless it was
// learned after the request was sent (its reservation may postdate the
// answer); an id the runner did not know (a restart, a lost O2R event) is
// learned.
func (r *Runner) reconcile(l *regLoop, runnerID, orch string, ids []string, sent time.Time) {
	for _, s := range r.loopSessions(l) {
		s.mu.Lock()
		stale := s.seen.Before(sent) && s.route == runnerID
		s.mu.Unlock()
		if stale && !slices.Contains(ids, s.id) || s.route != runnerID {
			r.endSession(s, "not in session_ids")
		}
	}
	for _, id := range ids {
		if !r.endedSince(controlURL(orch, runnerID, id), sent) {
			r.learn(l, runnerID, orch, id, "", time.Now())
		}
	}
}

// endedSince reports whether the session at control ended after t (an
// answer computed before its release must not bring it back).
func (r *Runner) endedSince(control string, t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, at := range r.ended {
		if time.Since(at) > time.Minute {
			delete(r.ended, k)
		}
	}
	at, ok := r.ended[control]
	return ok && !at.Before(t)
}
