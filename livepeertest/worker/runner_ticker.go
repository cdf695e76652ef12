package worker

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Tick is the JSON data of each Ticker event.
type Tick struct {
	Tick    int    `json:"tick"`
	Session string `json:"session,omitempty"` // the Livepeer-Session-Id the request carried
}

// Ticker is a live-runner app answering server-sent events: Count events
// "id: <i>\nevent: tick\ndata: {"tick":i,"session":...}\n\n", one every
// Interval, each flushed as written, then the response ends. The query may
// override both: ?count=N (0: tick until the client goes away, at most
// MaxStreamEvents) and ?interval_ms=M. The zero value sends 5 events 100 ms
// apart. Safe for concurrent use.
type Ticker struct {
	Count    int           // events per request when the query does not say (0: 5)
	Interval time.Duration // pause between events when the query does not say (0: 100 ms)
}

// ServeHTTP streams the ticks. A query value that is not a non-negative
// integer gives 400.
func (t *Ticker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	count, interval := t.Count, t.Interval
	if count <= 0 {
		count = 5
	}
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	q := r.URL.Query()
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxStreamEvents {
			writeError(w, http.StatusBadRequest, "count must be an integer in [0, 16777216]")
			return
		}
		count = n
		if n == 0 {
			count = MaxStreamEvents
		}
	}
	if v := q.Get("interval_ms"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "interval_ms must be a non-negative integer")
			return
		}
		interval = time.Duration(n) * time.Millisecond
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	tk := time.NewTicker(max(interval, time.Microsecond))
	defer tk.Stop()
	sid := r.Header.Get("Livepeer-Session-Id")
	for i := range count {
		if i > 0 {
			select {
			case <-tk.C:
			case <-r.Context().Done():
				return
			}
		}
		data, _ := json.Marshal(Tick{Tick: i, Session: sid})
		if _, err := w.Write([]byte("id: " + strconv.Itoa(i) + "\nevent: tick\ndata: " + string(data) + "\n\n")); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}
