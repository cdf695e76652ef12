package worker

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// MaxStreamEvents bounds the count a request may ask of a Streamer.
const MaxStreamEvents = 1 << 24

// StreamRequest is the body a Streamer accepts; every field is optional.
type StreamRequest struct {
	// Text supplies the tokens: its words, cycled. Empty: "token".
	Text string `json:"text"`
	// Count is how many token events precede "data: [DONE]" (default Streamer.Count).
	Count *int `json:"count,omitempty"`
	// IntervalMS is the pause between events in milliseconds (default Streamer.Interval).
	IntervalMS *int `json:"interval_ms,omitempty"`
	// StallAfter, when set, makes the worker go silent after
	// min(StallAfter, Count) events (no [DONE], connection kept open) until
	// the client goes away.
	StallAfter *int `json:"stall_after,omitempty"`
}

// Token is the JSON data of each token event.
type Token struct {
	Index int    `json:"index"`
	Token string `json:"token"`
}

// Streamer is a worker answering text/event-stream: Count events
// "id: <i>\ndata: {"index":i,"token":"..."}\n\n", one every Interval, then
// "data: [DONE]\n\n", each flushed as written. A POST body (StreamRequest)
// may override the count, the interval and ask for a stall. It notices a
// client that goes away and counts it (Disconnected). The zero value
// streams 10 events with no pause. Safe for concurrent use.
type Streamer struct {
	Count    int           // events per request when the request does not say (0: 10)
	Interval time.Duration // pause between events when the request does not say

	started, completed, disconnected atomic.Int64
}

// Started returns how many streams began.
func (s *Streamer) Started() int64 { return s.started.Load() }

// Completed returns how many streams reached "data: [DONE]".
func (s *Streamer) Completed() int64 { return s.completed.Load() }

// Disconnected returns how many streams ended because the client went away
// (a failed write or the request context ending) before [DONE].
func (s *Streamer) Disconnected() int64 { return s.disconnected.Load() }

// ServeHTTP streams the events. A body that is not a StreamRequest gives
// 400; a method other than POST 405.
func (s *Streamer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	var req StreamRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil || len(body) > MaxRequestBytes {
		writeError(w, http.StatusBadRequest, "cannot read the request body")
		return
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "body is not a stream request: "+err.Error())
			return
		}
	}
	count := s.Count
	if count <= 0 {
		count = 10
	}
	if req.Count != nil {
		count = *req.Count
	}
	interval := s.Interval
	if req.IntervalMS != nil {
		interval = time.Duration(*req.IntervalMS) * time.Millisecond
	}
	if count < 0 || count > MaxStreamEvents || interval < 0 {
		writeError(w, http.StatusBadRequest, "count must be in [0, 16777216] and interval_ms ≥ 0")
		return
	}
	words := strings.Fields(req.Text)
	if len(words) == 0 {
		words = []string{"token"}
	}

	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s.started.Add(1)
	ctx := r.Context()
	flush := func() bool {
		if flusher != nil {
			flusher.Flush()
		}
		return ctx.Err() == nil
	}
	if !flush() {
		s.disconnected.Add(1)
		return
	}

	var tick *time.Ticker
	if interval > 0 {
		tick = time.NewTicker(interval)
		defer tick.Stop()
	}
	buf := make([]byte, 0, 128)
	for i := range count {
		if req.StallAfter != nil && i >= *req.StallAfter {
			<-ctx.Done()
			s.disconnected.Add(1)
			return
		}
		if tick != nil && i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				s.disconnected.Add(1)
				return
			}
		}
		tok, _ := json.Marshal(Token{Index: i, Token: words[i%len(words)]})
		buf = append(buf[:0], "id: "...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, tok...)
		buf = append(buf, "\n\n"...)
		if _, err := w.Write(buf); err != nil || !flush() {
			s.disconnected.Add(1)
			return
		}
	}
	if req.StallAfter != nil { // stall_after ≥ count: silent before [DONE]
		<-ctx.Done()
		s.disconnected.Add(1)
		return
	}
	if _, err := io.WriteString(w, "data: [DONE]\n\n"); err != nil {
		s.disconnected.Add(1)
		return
	}
	// [DONE] is handed over: the stream is complete even if the relay hangs
	// up as soon as it reads it (go-livepeer's orchestrator does).
	flush()
	s.completed.Add(1)
}
