package trickle

import (
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
		http.Error(w, "Stream not found", http.StatusNotFound)
		return
	}
	seq, ok := ParseSeq(r.PathValue("seq"))
	if !ok || seq == SeqCurrent {
		http.Error(w, "Invalid idx", http.StatusBadRequest)
		return
	}
	seg := c.getForWrite(seq)
	defer seg.release()
	if r.Header.Get(HeaderReset) != "" {
		c.resetBefore(seg.seq)
	}
	rc := http.NewResponseController(w)
	stop := contextAfter(s.ctx, func() { _ = rc.SetReadDeadline(time.Now()) })
	defer stop()

	if !seg.writing.CompareAndSwap(false, true) {
		// Another POST is writing this seq: this one's data is dropped,
		// as for a repeated POST of a completed segment.
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set(HeaderSeq, strconv.Itoa(seg.seq))
		return
	}
	defer seg.writing.Store(false)
	// The first bytes go straight into the segment's first page too.
	n, err := s.firstRead(w, r, rc, seg, seg.tail())
	if n == 0 && (errors.Is(err, errEarlyEnd) || err == io.EOF) {
		// Preconnected POST whose segment or channel closed, or an empty
		// body: answer 200 and advance the write head (go-livepeer does the
		// same so clients do not error on the next seq).
		closed := c.started(seg.seq)
		h := w.Header()
		h.Set(HeaderSeq, strconv.Itoa(seg.seq))
		if closed || s.ctx.Err() != nil {
			h.Set(HeaderClosed, ClosedValue)
		}
		h.Set("Connection", "close")
		seg.close()
		w.WriteHeader(http.StatusOK)
		return
	}
	total := 0
	if n > 0 {
		c.started(seg.seq)
		if !seg.commit(n) {
			s.refuseCut(w, c, seg, n)
			return
		}
		total += n
	}
	// Read the rest straight into the segment's pages (no extra copy).
	for err == nil {
		n, err = r.Body.Read(seg.tail())
		if !seg.commit(n) {
			s.refuseCut(w, c, seg, total+n)
			return
		}
		total += n
	}
	if err != io.EOF {
		s.log.Debug("trickle: POST body failed", "channel", c.name, "seq", seg.seq, "bytes", total, "err", err)
		if total > 0 {
			// Readers get a truncated segment rather than waiting. With
			// nothing received the segment stays open, so the publisher
			// can retry the same seq (as in go-livepeer).
			seg.abort()
		}
		if s.ctx.Err() == nil {
			http.Error(w, "Server error", http.StatusInternalServerError)
		}
		return
	}
	w.Header().Set(HeaderSeq, strconv.Itoa(seg.seq))
	seg.close()
}

// refuseCut answers a POST whose segment was cut (evicted, reset, deleted,
// channel closed) while it was being written: the bytes after the cut were
// not stored, so the publisher gets 409, never a 200. go-livepeer keeps
// writing into the orphaned buffer and answers 200.
func (s *Server) refuseCut(w http.ResponseWriter, c *srvChannel, seg *srvSegment, bytes int) {
	s.log.Debug("trickle: segment cut while being written", "channel", c.name, "seq", seg.seq, "bytes", bytes)
	w.Header().Set("Connection", "close")
	http.Error(w, "Segment closed while being written", http.StatusConflict)
}

// firstRead waits for the first bytes of a POST body, sending a 100 Continue
// every KeepaliveInterval, and gives up (errEarlyEnd) when the segment, the
// request or the server ends first. The helper goroutine never outlives it.
func (s *Server) firstRead(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, seg *srvSegment, buf []byte) (int, error) {
	if isDone(seg.closeCh) {
		return 0, errEarlyEnd // repeated POST of a completed segment
	}
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	go func() {
		n, err := r.Body.Read(buf)
		ch <- res{n, err}
	}()
	t := time.NewTicker(s.cfg.KeepaliveInterval)
	defer t.Stop()
	for {
		select {
		case v := <-ch:
			return v.n, v.err
		case <-t.C:
			w.WriteHeader(http.StatusContinue)
		case <-seg.closeCh:
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		if isDone(seg.closeCh) || r.Context().Err() != nil || s.ctx.Err() != nil {
			_ = rc.SetReadDeadline(time.Now())
			v := <-ch
			if v.n > 0 && s.ctx.Err() == nil && r.Context().Err() == nil {
				_ = rc.SetReadDeadline(time.Time{})
				return v.n, nil
			}
			return 0, errEarlyEnd
		}
	}
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	c := s.getChannel(r.PathValue("name"))
	if c == nil {
		http.Error(w, "Stream not found", http.StatusNotFound)
		return
	}
	seq, ok := ParseSeq(r.PathValue("seq"))
	if !ok {
		http.Error(w, "Invalid idx", http.StatusBadRequest)
		return
	}
	seg, resolved, latest, closed := c.getForRead(seq)
	h := w.Header()
	if seg == nil {
		h.Set(HeaderLatest, strconv.Itoa(latest))
		h.Set(HeaderSeq, strconv.Itoa(resolved))
		if closed {
			h.Set(HeaderClosed, ClosedValue)
		} else {
			w.WriteHeader(StatusSeqNotFound)
		}
		_, _ = w.Write([]byte("Entry not found"))
		return
	}
	defer seg.release()
	rc := http.NewResponseController(w)
	var cur segCursor
	total, dirty := 0, false
	for {
		data, segClosed, aborted, wait := seg.read(&cur)
		if len(data) > 0 {
			if total == 0 {
				if seg.seq != latest {
					h.Set(HeaderLatest, strconv.Itoa(latest))
				}
				h.Set(HeaderSeq, strconv.Itoa(seg.seq))
				h["Content-Type"] = []string{c.mime}
			}
			n, err := w.Write(data)
			total += n
			if err != nil {
				return
			}
			dirty = true
			continue
		}
		if dirty {
			if rc.Flush() != nil {
				return
			}
			dirty = false
		}
		if aborted && total > 0 {
			// Do not end the chunked body cleanly: the segment is truncated.
			panic(http.ErrAbortHandler)
		}
		if segClosed {
			if total == 0 {
				next, chClosed := c.state()
				h.Set(HeaderSeq, strconv.Itoa(seg.seq))
				h.Set(HeaderLatest, strconv.Itoa(next))
				if chClosed {
					h.Set(HeaderClosed, ClosedValue)
				}
			}
			return
		}
		select {
		case <-wait:
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			if total > 0 {
				panic(http.ErrAbortHandler) // truncated: no clean end
			}
			h.Set(HeaderSeq, strconv.Itoa(seg.seq))
			h.Set(HeaderClosed, ClosedValue)
			return
		}
	}
}
