package trickle

import "errors"

// postClaim is one POST's claim on a segment.
type postClaim struct {
	displaced chan struct{} // closed when a newer POST took the segment over
}

// Reasons a POST may not write a segment (all answered 409).
var (
	errSegClosed = errors.New("Segment already closed")
	errSegBusy   = errors.New("Segment being written by another publisher")
	errSegOld    = errors.New("Segment too old")
	errDisplaced = errors.New("Segment taken over by a newer publisher")
	errSegCut    = errors.New("Segment closed while being written")
)

// claim registers a POST as the segment's writer. The newest POST wins over
// an idle one (one that has not sent a byte: a preconnect), which is then
// displaced, as in go-livepeer where the newest writer's data is what
// readers get. A segment already being written, or already closed, is
// refused: two writers never interleave in one segment, and a repeated POST
// of a finished seq is never acknowledged as stored (go-livepeer drops its
// data and answers 200).
func (s *srvSegment) claim() (*postClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, errSegClosed
	case s.owner != nil && s.started:
		return nil, errSegBusy
	case s.owner != nil:
		close(s.owner.displaced)
	}
	s.owner = &postClaim{displaced: make(chan struct{})}
	return s.owner, nil
}

// begin stores the first bytes of a claimant. It fails with errDisplaced
// when a newer POST took the segment over, or errSegClosed when the segment
// ended meanwhile; the bytes are then not stored.
func (s *srvSegment) begin(c *postClaim, first []byte) error {
	s.mu.Lock()
	switch {
	case s.owner != c:
		s.mu.Unlock()
		return errDisplaced
	case s.closed:
		s.mu.Unlock()
		return errSegClosed
	}
	s.started = true
	s.mu.Unlock()
	for len(first) > 0 {
		k := copy(s.tail(), first)
		if !s.commit(k) {
			return errSegClosed
		}
		first = first[k:]
	}
	return nil
}

// unclaim drops a claim that never started, so a later POST does not have
// to displace it.
func (s *srvSegment) unclaim(c *postClaim) {
	s.mu.Lock()
	if s.owner == c && !s.started {
		s.owner = nil
	}
	s.mu.Unlock()
}

// claimed reports whether a POST holds the segment.
func (s *srvSegment) claimed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owner != nil
}
