// Package trickletest holds the measurement harness shared by the trickle
// benchmarks and bench/trickle: a raw net/http relay baseline (one POST
// streamed into one GET, no trickle logic) and the same workloads over
// trickle.Server, trickle.Publisher and trickle.Subscriber, on loopback.
package trickletest

import (
	"io"
	"net/http"
	"sync"
)

// rawRelay pairs one POST /{id} with one GET /{id} and streams the POST body
// into the GET response, flushing every chunk. It is the baseline: the
// least an HTTP relay can do.
type rawRelay struct {
	mu      sync.Mutex
	waiting map[string]chan getSide
}

type getSide struct {
	w    http.ResponseWriter
	done chan struct{}
}

func newRawRelay() *rawRelay { return &rawRelay{waiting: map[string]chan getSide{}} }

func (r *rawRelay) slot(id string) chan getSide {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.waiting[id]
	if c == nil {
		c = make(chan getSide, 1)
		r.waiting[id] = c
	}
	return c
}

func (r *rawRelay) drop(id string) {
	r.mu.Lock()
	delete(r.waiting, id)
	r.mu.Unlock()
}

func (r *rawRelay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	id := req.URL.Path
	switch req.Method {
	case http.MethodGet:
		g := getSide{w: w, done: make(chan struct{})}
		select {
		case r.slot(id) <- g:
		case <-req.Context().Done():
			return
		}
		select {
		case <-g.done:
		case <-req.Context().Done():
		}
	case http.MethodPost:
		var g getSide
		select {
		case g = <-r.slot(id):
		case <-req.Context().Done():
			return
		}
		r.drop(id)
		buf := make([]byte, 32<<10)
		fl := http.NewResponseController(g.w)
		for {
			n, err := req.Body.Read(buf)
			if n > 0 {
				if _, werr := g.w.Write(buf[:n]); werr != nil {
					break
				}
				_ = fl.Flush()
			}
			if err != nil {
				break
			}
		}
		close(g.done)
		_, _ = io.Copy(io.Discard, req.Body)
	}
}
