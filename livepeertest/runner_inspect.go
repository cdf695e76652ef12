package livepeertest

import (
	"slices"
	"strings"
	"time"
)

// RunnerSession describes a live session a [RunnerRegistry] holds.
type RunnerSession struct {
	RunnerID  string    // the runner's id
	Route     string    // its route in URLs (the id, or a static label)
	SessionID string    // the session id (a paid session's manifest id)
	CreatedAt time.Time // when it was reserved
	Charges   int       // interval charges the balance covered so far
	Channels  []string  // names of its trickle channels, sorted
	Proxies   int       // session-scoped proxy URLs it has
}

// Sessions returns every live session, oldest first. A session released
// (stop, runner callback, failed charge, expiry, unregister) is gone.
func (r *RunnerRegistry) Sessions() []RunnerSession {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []RunnerSession
	for route, rr := range r.runners {
		if rr.route != route || rr.removed {
			continue
		}
		for id, s := range rr.sessions {
			rs := RunnerSession{RunnerID: rr.req.RunnerID, Route: rr.route, SessionID: id, CreatedAt: s.createdAt,
				Charges: s.charges, Proxies: len(s.proxies)}
			for n := range s.channels {
				rs.Channels = append(rs.Channels, n)
			}
			slices.Sort(rs.Channels)
			out = append(out, rs)
		}
	}
	slices.SortFunc(out, func(a, b RunnerSession) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.SessionID, b.SessionID)
	})
	return out
}

// RunnerIDs returns the ids of the registered runners (ready or not,
// expired ones until the sweep removes them), sorted.
func (r *RunnerRegistry) RunnerIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for route, rr := range r.runners {
		if rr.route == route && !rr.removed {
			out = append(out, rr.req.RunnerID)
		}
	}
	slices.Sort(out)
	return out
}
