package trickle

import (
	"sync"
	"time"
)

// maxSegmentsPerChannel is the ring size, as in go-livepeer.
const maxSegmentsPerChannel = 5

// srvChannel is one channel of the Server.
type srvChannel struct {
	name      string
	mime      string
	mu        sync.Mutex
	segments  [maxSegmentsPerChannel]*srvSegment
	nextWrite int
	writeTime time.Time
	closed    bool
}

func (c *srvChannel) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for i, s := range c.segments {
		s.evict()
		c.segments[i] = nil
	}
}

// getForWrite returns the segment to publish seq into (seq=-1 is the next
// write), creating it and evicting an older one from its ring slot. A seq
// whose slot already holds a newer segment is refused with errSegOld
// (go-livepeer evicts the newer one). The caller holds a reference on the
// returned segment (release it when done).
func (c *srvChannel) getForWrite(seq int) (*srvSegment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq == SeqLive {
		seq = c.nextWrite
	}
	pos := seq % maxSegmentsPerChannel
	if s := c.segments[pos]; s != nil {
		switch {
		case s.seq == seq:
			return s.acquire(), nil
		case s.seq > seq:
			return nil, errSegOld
		}
		s.evict()
	}
	s := newSrvSegment(seq)
	c.segments[pos] = s
	return s.acquire(), nil
}

// resetBefore cuts every segment older than seq (Lp-Trickle-Reset).
func (c *srvChannel) resetBefore(seq int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.segments {
		if s != nil && s.seq < seq {
			s.cut()
		}
	}
}

// started records that seq received its first byte (or ended empty). The
// write head only moves forward: a late POST of an older seq never moves
// it back (go-livepeer sets it to seq+1, so /next and live-edge readers
// go back to old segments).
func (c *srvChannel) started(seq int) (closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextWrite = max(c.nextWrite, seq+1)
	c.writeTime = time.Now()
	return c.closed
}

// getForRead resolves seq (-1 next write, -2 current write) and returns the
// segment if it exists, pre-creating it when the reader is just ahead of the
// write head, as go-livepeer does. The caller holds a reference on a
// returned segment (release it when done).
func (c *srvChannel) getForRead(seq int) (seg *srvSegment, resolved, latest int, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch seq {
	case SeqLive:
		seq = c.nextWrite
	case SeqCurrent:
		seq = max(c.nextWrite-1, 0)
	}
	pos := seq % maxSegmentsPerChannel
	s := c.segments[pos]
	exists := s != nil && s.seq == seq
	if !exists && !c.closed && (seq == c.nextWrite || (c.nextWrite == 0 && seq == 1)) {
		s.evict()
		s = newSrvSegment(seq)
		c.segments[pos] = s
		exists = true
	}
	if !exists {
		return nil, seq, c.nextWrite, c.closed
	}
	return s.acquire(), seq, c.nextWrite, c.closed
}

func (c *srvChannel) state() (next int, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nextWrite, c.closed
}

func (c *srvChannel) lookup(seq int) *srvSegment {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.segments[seq%maxSegmentsPerChannel]
	if s == nil || s.seq != seq {
		return nil
	}
	return s
}
