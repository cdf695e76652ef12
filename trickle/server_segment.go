package trickle

import "sync"

// Segment pages come in two sizes: a small first page, so a ring of tiny
// segments (control messages) stays small, and large pages after it. Pages
// are recycled through pools once their segment has left the ring and no
// request uses it any more (see srvSegment.refs), so a busy server does not
// allocate (and the OS does not fault in) fresh memory for every segment.
const (
	srvPageSmall = 16 << 10
	srvPageLarge = 64 << 10
)

var (
	smallPages = sync.Pool{New: func() any { b := make([]byte, 0, srvPageSmall); return &b }}
	largePages = sync.Pool{New: func() any { b := make([]byte, 0, srvPageLarge); return &b }}
)

func getPage(first bool) *[]byte {
	if first {
		return smallPages.Get().(*[]byte)
	}
	return largePages.Get().(*[]byte)
}

func putPage(p *[]byte) {
	*p = (*p)[:0]
	switch cap(*p) {
	case srvPageSmall:
		smallPages.Put(p)
	case srvPageLarge:
		largePages.Put(p)
	}
}

// srvSegment is one segment held by the Server: an append-only list of pages
// written by one publisher and read concurrently by any number of
// subscribers. Bytes below a page's published length are immutable while
// the segment is referenced, so readers copy them out without holding the
// lock.
//
// Lifetime: every request using the segment holds a reference (taken under
// the channel lock when the segment is looked up, dropped when the request
// ends); the channel drops the segment from its ring with evict. The pages
// go back to the pools only when both happened, so a late reader of a
// segment that already left the ring still reads its own bytes.
type srvSegment struct {
	seq     int
	mu      sync.Mutex
	pages   []*[]byte // each page: len = published bytes, cap = page size
	size    int
	closed  bool
	aborted bool          // closed because the publisher failed mid-segment
	refs    int           // requests using the segment
	evicted bool          // left the ring: recycle the pages at refs == 0
	owner   *postClaim    // the POST entitled to write (see claim)
	started bool          // owner began writing: it alone owns the tail
	closeCh chan struct{} // closed by close(): wakes preconnected publishers
	notify  chan struct{} // created by a waiting reader, closed on the next change
}

func newSrvSegment(seq int) *srvSegment {
	return &srvSegment{seq: seq, closeCh: make(chan struct{})}
}

// acquire takes a reference for a request; the channel lock is held, so the
// segment is still in the ring.
func (s *srvSegment) acquire() *srvSegment {
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
	return s
}

// release drops a request's reference.
func (s *srvSegment) release() {
	s.mu.Lock()
	s.refs--
	s.recycleLocked()
	s.mu.Unlock()
}

// evict cuts the segment and marks it out of the ring (channel lock held).
func (s *srvSegment) evict() {
	if s == nil {
		return
	}
	s.cut()
	s.mu.Lock()
	s.evicted = true
	s.recycleLocked()
	s.mu.Unlock()
}

func (s *srvSegment) recycleLocked() {
	if !s.evicted || s.refs > 0 || s.pages == nil {
		return
	}
	for _, p := range s.pages {
		putPage(p)
	}
	s.pages = nil
}

// wakeLocked wakes the readers waiting for a change.
func (s *srvSegment) wakeLocked() {
	if s.notify != nil {
		close(s.notify)
		s.notify = nil
	}
}

// tail returns free space at the end of the segment for the writer to read
// into directly (no copy); commit(n) then publishes n bytes of it. Only the
// goroutine of the started owner (see claim), holding a reference, may
// call them (and begin, before it started). Readers never
// look past a page's published length, so filling the free space needs no
// lock. It returns nil once the segment's pages were recycled (cannot
// happen while the caller holds its reference).
func (s *srvSegment) tail() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.evicted && s.refs == 0 {
		return nil
	}
	if n := len(s.pages); n > 0 {
		p := *s.pages[n-1]
		if len(p) < cap(p) {
			return p[len(p):cap(p)]
		}
	}
	if s.pages == nil {
		s.pages = make([]*[]byte, 0, 8) // a 400 KiB segment without regrowth
	}
	p := getPage(len(s.pages) == 0)
	s.pages = append(s.pages, p)
	return (*p)[:cap(*p)]
}

// commit publishes n bytes written into the slice returned by tail. It
// reports false when the segment was already ended (cut by an eviction, a
// Reset, a DELETE or the channel's close): the bytes are not stored and
// the writer must not be told they were.
func (s *srvSegment) commit(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if n > 0 && len(s.pages) > 0 {
		p := s.pages[len(s.pages)-1]
		*p = (*p)[:len(*p)+n]
		s.size += n
		s.wakeLocked()
	}
	return true
}

// close marks the segment complete (its writer ended the body) and wakes
// everyone waiting on it.
func (s *srvSegment) close() { s.end(false) }

// abort ends a segment whose publisher failed: readers see a truncated
// response rather than a clean end.
func (s *srvSegment) abort() { s.end(true) }

// cut ends the segment from outside its writer (eviction from the ring,
// Lp-Trickle-Reset, DELETE of the seq, the channel's close). A segment that
// already holds bytes is then incomplete: its readers get an error, never a
// clean end of a truncated body. A segment with no byte yet (a skipped seq)
// ends cleanly and empty, as in go-livepeer. A complete segment is left as
// it is.
func (s *srvSegment) cut() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.endLocked(s.size > 0)
	s.mu.Unlock()
}

func (s *srvSegment) end(aborted bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.endLocked(aborted)
	s.mu.Unlock()
}

func (s *srvSegment) endLocked(aborted bool) {
	if !s.closed {
		s.aborted = aborted
		s.closed = true
		close(s.closeCh)
		s.wakeLocked()
	}
}

// segCursor is a reader's position in a segment.
type segCursor struct{ page, off int }

// read returns the published bytes at the cursor (possibly spanning one
// page), and advances it. With no data it reports whether the segment is
// closed, and a channel that is closed on the next change. The caller must
// hold a reference while it uses data.
func (s *srvSegment) read(c *segCursor) (data []byte, closed, aborted bool, wait <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c.page < len(s.pages) {
		p := *s.pages[c.page]
		if c.off < len(p) {
			data = p[c.off:len(p):len(p)]
			c.off = len(p)
			return data, false, false, nil
		}
		if len(p) < cap(p) { // tail page, nothing more yet
			break
		}
		c.page++
		c.off = 0
	}
	if s.closed {
		return nil, true, s.aborted, s.closeCh
	}
	if s.notify == nil {
		s.notify = make(chan struct{})
	}
	return nil, false, false, s.notify
}
