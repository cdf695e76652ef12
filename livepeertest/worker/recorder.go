package worker

import (
	"net/http"
	"sync"
)

// Request is what a Recorder saw of one request.
type Request struct {
	Method, Path, RawQuery string
	Header                 http.Header
}

// Recorder wraps a handler and records the requests that reached it.
type Recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []Request
}

// Record wraps next.
func Record(next http.Handler) *Recorder { return &Recorder{next: next} }

// ServeHTTP records r and passes it on.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()})
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

// Requests returns a copy of the requests seen so far, oldest first.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.reqs...)
}

// Count returns how many requests reached the worker.
func (rec *Recorder) Count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}
