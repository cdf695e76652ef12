package trickle

import "time"

// endedChannel is what the Server remembers of a closed channel.
type endedChannel struct {
	next int       // its write head when it closed
	at   time.Time // when it closed
}

// maxEnded bounds the memory of closed channels (ServerConfig.RememberClosed).
const maxEnded = 4096

// rememberEndedLocked records a closed channel (s.mu held), dropping the
// oldest record when full.
func (s *Server) rememberEndedLocked(name string, next int) {
	if s.cfg.RememberClosed <= 0 {
		return
	}
	if len(s.ended) >= maxEnded {
		var oldest string
		var at time.Time
		for n, e := range s.ended {
			if oldest == "" || e.at.Before(at) {
				oldest, at = n, e.at
			}
		}
		delete(s.ended, oldest)
	}
	s.ended[name] = endedChannel{next: next, at: time.Now()}
}

func (s *Server) pruneEndedLocked(now time.Time) {
	for n, e := range s.ended {
		if now.Sub(e.at) > s.cfg.RememberClosed {
			delete(s.ended, n)
		}
	}
}

// endedChannel reports whether name is a recently closed channel.
func (s *Server) endedChannel(name string) (endedChannel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.ended[name]
	if ok && time.Since(e.at) > s.cfg.RememberClosed {
		return e, false
	}
	return e, ok
}
