package trickle

import (
	"sync"
	"sync/atomic"
)

const (
	srvPageMin = 32 << 10
	srvPageMax = 256 << 10
)

// srvSegment is one segment held by the Server: an append-only list of pages
// written by one publisher and read concurrently by any number of
// subscribers. Bytes below a page's published length are immutable, so
// readers copy them out without holding the lock.
type srvSegment struct {
	seq     int
	mu      sync.Mutex
	pages   [][]byte // each page: len = published bytes, cap = page size
	size    int
	closed  bool
	aborted bool          // closed because the publisher failed mid-segment
	writing atomic.Bool   // a publisher owns the tail (one writer at a time)
	closeCh chan struct{} // closed by close(): wakes preconnected publishers
	notify  chan struct{} // closed and replaced on every write and on close
}

func newSrvSegment(seq int) *srvSegment {
	return &srvSegment{seq: seq, closeCh: make(chan struct{}), notify: make(chan struct{})}
}

// write appends data (copied).
func (s *srvSegment) write(data []byte) {
	s.mu.Lock()
	if s.closed { // a repeated or late POST: the data is dropped
		data = nil
	}
	for len(data) > 0 {
		var tail []byte
		if n := len(s.pages); n > 0 && len(s.pages[n-1]) < cap(s.pages[n-1]) {
			tail = s.pages[n-1]
		} else {
			size := srvPageMin
			if n := len(s.pages); n > 0 {
				size = min(2*cap(s.pages[n-1]), srvPageMax)
			}
			size = max(size, min(len(data), srvPageMax))
			tail = make([]byte, 0, size)
			s.pages = append(s.pages, tail)
		}
		k := min(cap(tail)-len(tail), len(data))
		tail = append(tail, data[:k]...)
		s.pages[len(s.pages)-1] = tail
		data = data[k:]
		s.size += k
	}
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

// tail returns free space at the end of the segment for the writer to read
// into directly (no copy); commit(n) then publishes n bytes of it. Only the
// goroutine holding s.writing may call them. Readers never look past a
// page's published length, so filling the free space needs no lock.
func (s *srvSegment) tail(minSize int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.pages); n > 0 {
		p := s.pages[n-1]
		if len(p) < cap(p) {
			return p[len(p):cap(p)]
		}
	}
	size := srvPageMin
	if n := len(s.pages); n > 0 {
		size = min(2*cap(s.pages[n-1]), srvPageMax)
	}
	p := make([]byte, 0, max(size, minSize))
	s.pages = append(s.pages, p)
	return p[:cap(p)]
}

// commit publishes n bytes written into the slice returned by tail.
func (s *srvSegment) commit(n int) {
	s.mu.Lock()
	if !s.closed && n > 0 {
		i := len(s.pages) - 1
		s.pages[i] = s.pages[i][:len(s.pages[i])+n]
		s.size += n
		close(s.notify)
		s.notify = make(chan struct{})
	}
	s.mu.Unlock()
}

// close marks the segment complete and wakes everyone waiting on it.
func (s *srvSegment) close() { s.end(false) }

// abort ends a segment whose publisher failed: readers see a truncated
// response rather than a clean end.
func (s *srvSegment) abort() { s.end(true) }

func (s *srvSegment) end(aborted bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	if !s.closed {
		s.aborted = aborted
		s.closed = true
		close(s.closeCh)
		close(s.notify)
		s.notify = make(chan struct{})
	}
	s.mu.Unlock()
}

func (s *srvSegment) isFresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.size == 0
}

// segCursor is a reader's position in a segment.
type segCursor struct{ page, off int }

// read returns the published bytes at the cursor (possibly spanning one
// page), and advances it. With no data it reports whether the segment is
// closed, and a channel that is closed on the next change.
func (s *srvSegment) read(c *segCursor) (data []byte, closed, aborted bool, wait <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c.page < len(s.pages) {
		p := s.pages[c.page]
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
	return nil, s.closed, s.aborted, s.notify
}
