package runner

import (
	"context"
	"net/http"
	"time"
)

type sessionKey struct{}

// SessionFrom returns the session of a request served through
// Runner.Handler (false for a request that carried no Livepeer-Session-Id:
// it did not come through an orchestrator).
func SessionFrom(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok
}

// Handler wraps the application: a request proxied by an orchestrator
// carries its session (go-livepeer injects Livepeer-Runner-Route,
// Livepeer-Session-Id, Livepeer-Session-Token and Livepeer-Session-Control)
// and h finds it with SessionFrom(r.Context()). A session of one of the
// Runner's registrations is the tracked Session (its token recorded, so its
// callbacks work from then on, and OnSession called if it is new); a
// session of a registration made elsewhere (a static runner) gets a
// Session value for this request whose Context ends at Close. Requests
// without the headers pass through unchanged. The headers are trusted as
// they come: the runner's URL is private to its orchestrators.
func (r *Runner) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get(HeaderSession)
		if id == "" {
			h.ServeHTTP(w, req)
			return
		}
		s := r.sessionForRequest(req.Header.Get(HeaderRoute), id, req.Header.Get(HeaderToken), req.Header.Get(HeaderControl))
		h.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), sessionKey{}, s)))
	})
}

func (r *Runner) sessionForRequest(route, id, token, control string) *Session {
	r.mu.Lock()
	s := r.sessions[control]
	loops := r.loops
	r.mu.Unlock()
	if s != nil && s.route == route {
		// A session's token never changes: the first one stays, so a
		// request that did not come through the orchestrator cannot
		// replace it.
		s.mu.Lock()
		if s.token == "" {
			s.token = token
		}
		s.mu.Unlock()
		return s
	}
	for _, l := range loops {
		if s != nil {
			break
		}
		c := l.credentials()
		if c.RunnerID != "" && c.RunnerID == route && controlURL(c.Orchestrator, route, id) == control {
			if s := r.learn(l, route, c.Orchestrator, id, token, time.Now()); s != nil {
				return s
			}
		}
	}
	return &Session{r: r, id: id, route: route, control: control, ctx: r.ctx, token: token, seen: time.Now()}
}
