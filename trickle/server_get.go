package trickle

import (
	"net/http"
	"strconv"
)

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	c := s.getChannel(r.PathValue("name"))
	if c == nil {
		if e, ok := s.endedChannel(r.PathValue("name")); ok {
			// Answered as go-livepeer answers a closed channel's GET.
			h := w.Header()
			h.Set(HeaderLatest, strconv.Itoa(e.next))
			if seq, ok := ParseSeq(r.PathValue("seq")); ok {
				h.Set(HeaderSeq, strconv.Itoa(seq))
			}
			h.Set(HeaderClosed, ClosedValue)
			_, _ = w.Write([]byte("Entry not found"))
			return
		}
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
