package trickle

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
	c := s.getOrCreate(r.PathValue("name"), r.Header.Get("Content-Type"), false)
	if c == nil {
		w.Header().Set("Connection", "close") // wakes preconnected publishers
		if _, ok := s.endedChannel(r.PathValue("name")); ok {
			w.Header().Set(HeaderClosed, ClosedValue)
		}
		http.Error(w, "Stream not found", http.StatusNotFound)
		return
	}
	seq, ok := ParseSeq(r.PathValue("seq"))
	if !ok || seq == SeqCurrent {
		http.Error(w, "Invalid idx", http.StatusBadRequest)
		return
	}
	seg, err := c.getForWrite(seq)
	if err != nil {
		s.refuse(w, c, seq, err, 0)
		return
	}
	defer seg.release()
	if r.Header.Get(HeaderReset) != "" {
		c.resetBefore(seg.seq)
	}
	claim, err := seg.claim()
	if err != nil {
		s.refuse(w, c, seg.seq, err, 0)
		return
	}
	defer seg.unclaim(claim)
	rc := http.NewResponseController(w)
	stop := context.AfterFunc(s.ctx, func() { _ = rc.SetReadDeadline(time.Now()) })
	defer stop()

	first, err := s.firstRead(w, r, rc, seg, claim)
	if first == nil {
		switch {
		case errors.Is(err, errDisplaced):
			s.refuse(w, c, seg.seq, err, 0)
		case errors.Is(err, errEarlyEnd), err == io.EOF, errors.Is(err, errServerClosing):
			// A preconnected POST whose segment (or channel) closed before
			// its first byte, or an empty body: 200 with Connection: close
			// (as go-livepeer), which publishers read as "seq skipped".
			// The write head advances past the seq, so clients do not
			// error on the next one; Lp-Trickle-Closed if the channel or
			// the server closed.
			h := w.Header()
			h.Set(HeaderSeq, strconv.Itoa(seg.seq))
			if closed := c.started(seg.seq); closed || s.ctx.Err() != nil {
				h.Set(HeaderClosed, ClosedValue)
			}
			h.Set("Connection", "close")
			if err == io.EOF {
				seg.close() // an empty segment, complete
			}
			w.WriteHeader(http.StatusOK)
		default:
			// The client went away or its body failed before a byte: the
			// segment stays open and the write head where it was, so the
			// publisher can retry the same seq (as in go-livepeer).
			s.log.Debug("trickle: POST body failed before any byte", "channel", c.name, "seq", seg.seq, "err", err)
			http.Error(w, "Server error", http.StatusInternalServerError)
		}
		return
	}
	n := len(*first)
	berr := seg.begin(claim, *first)
	putPage(first)
	if errors.Is(berr, errSegClosed) {
		berr = errSegCut
	}
	if berr != nil {
		s.refuse(w, c, seg.seq, berr, n)
		return
	}
	c.started(seg.seq)
	total := n
	// Read the rest straight into the segment's pages (no extra copy).
	for err == nil {
		n, err = r.Body.Read(seg.tail())
		if !seg.commit(n) {
			s.refuse(w, c, seg.seq, errSegCut, total+n)
			return
		}
		total += n
	}
	if err != io.EOF {
		s.log.Debug("trickle: POST body failed", "channel", c.name, "seq", seg.seq, "bytes", total, "err", err)
		// Readers get an error for the truncated segment rather than a
		// clean end.
		seg.abort()
		if s.ctx.Err() == nil {
			http.Error(w, "Server error", http.StatusInternalServerError)
		}
		return
	}
	w.Header().Set(HeaderSeq, strconv.Itoa(seg.seq))
	seg.close()
}

// refuse answers a POST that may not write seq with 409 Conflict and the
// reason in the body: the seq is already written or closed, another
// publisher is writing it, it is older than the ring, a newer POST took it
// over, or it was cut (evicted, reset, deleted, channel closed) while being
// written. What such a POST sent is not stored, so it never gets a 200.
// go-livepeer answers 200 in most of these cases (and drops the data or
// interleaves two writers); our publisher treats a 409 before any byte as
// a skipped seq and after bytes as a failed segment.
func (s *Server) refuse(w http.ResponseWriter, c *srvChannel, seq int, why error, bytes int) {
	s.log.Debug("trickle: POST refused", "channel", c.name, "seq", seq, "reason", why, "bytes", bytes)
	w.Header().Set("Connection", "close")
	http.Error(w, why.Error(), http.StatusConflict)
}

// firstRead waits for the first bytes of a POST body, sending a 100 Continue
// every KeepaliveInterval. The bytes are read into a page of the POST's own
// (returned; put it back with putPage): until begin stores them, a newer
// POST may still take the segment over. With no byte it returns io.EOF for
// an empty body, errEarlyEnd when the segment closed first, errDisplaced
// when a newer POST took the segment over, errServerClosing when the Server
// closed, or the body's read error (the client went away). The helper
// goroutine never outlives it.
func (s *Server) firstRead(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, seg *srvSegment, claim *postClaim) (*[]byte, error) {
	buf := getPage(true)
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	read := func() {
		n, err := r.Body.Read((*buf)[:cap(*buf)])
		ch <- res{n, err}
	}
	go read()
	t := time.NewTicker(s.cfg.KeepaliveInterval)
	defer t.Stop()
	for {
		select {
		case v := <-ch:
			switch {
			case v.n > 0:
				*buf = (*buf)[:v.n]
				return buf, v.err
			case v.err == nil:
				go read() // an empty read: wait on
				continue
			}
			putPage(buf)
			return nil, v.err
		case <-t.C:
			w.WriteHeader(http.StatusContinue)
			continue
		case <-seg.closeCh:
		case <-claim.displaced:
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		break
	}
	// Stop waiting: interrupt the read. Bytes that arrived meanwhile are
	// still returned (begin then decides whether they may be stored).
	_ = rc.SetReadDeadline(time.Now())
	v := <-ch
	if v.n > 0 && s.ctx.Err() == nil && r.Context().Err() == nil {
		_ = rc.SetReadDeadline(time.Time{})
		*buf = (*buf)[:v.n]
		return buf, v.err
	}
	putPage(buf)
	// The read deadline may have cancelled r.Context() too: what stopped
	// the wait decides.
	switch {
	case s.ctx.Err() != nil:
		return nil, errServerClosing
	case isDone(claim.displaced):
		return nil, errDisplaced
	case isDone(seg.closeCh):
		return nil, errEarlyEnd
	case v.err != nil:
		return nil, v.err
	}
	return nil, r.Context().Err()
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
