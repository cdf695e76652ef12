package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// controlHelp documents the control endpoint (lpgw devnet --help).
const controlHelp = `Control endpoint (HTTP on loopback; every answer is the state as JSON):
  GET    /                                  the devnet: token, URLs, orchestrators, faults
  POST   /orchestrators/{i}/blackhole        orchestrator i accepts connections, never answers
  DELETE /orchestrators/{i}/blackhole        ... answers again
  POST   /orchestrators/{i}/latency?d=500ms  orchestrator i delays every request
  DELETE /orchestrators/{i}/latency          ... no delay
  POST   /orchestrators/{i}/fail-discovery?n=3  its next n GetOrchestrator calls fail
  POST   /signer/down                        the signer answers 503 to everything
  DELETE /signer/down                        ... serves again
  POST   /signer/latency?d=2s                the signer delays every request
  DELETE /signer/latency                     ... no delay
  POST   /signer/balance?wei=1000000         a new budget (wei; "unlimited"); spent stays spent
  POST   /blocks/advance?n=40                move the block clock (ticket params expire after 40)
e.g. curl -X POST 'http://127.0.0.1:PORT/orchestrators/0/latency?d=500ms'`

// controlServer serves the control endpoint on ln until Close.
type controlServer struct {
	srv  *http.Server
	done chan struct{}
}

// startControl serves f and state() on ln.
func startControl(ln net.Listener, f *faults, state func() any) *controlServer {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			code := http.StatusBadRequest
			var nf errNoOrchestrator
			if errors.As(err, &nf) {
				code = http.StatusNotFound
			}
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(state())
	}
	orch := func(fn func(i int, r *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			i, err := strconv.Atoi(r.PathValue("i"))
			if err != nil {
				reply(w, fmt.Errorf("orchestrator index %q is not a number", r.PathValue("i")))
				return
			}
			reply(w, fn(i, r))
		}
	}
	plain := func(fn func(r *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { reply(w, fn(r)) }
	}
	mux.HandleFunc("GET /{$}", plain(func(*http.Request) error { return nil }))
	mux.HandleFunc("POST /orchestrators/{i}/blackhole", orch(func(i int, _ *http.Request) error { return f.setBlackhole(i, true) }))
	mux.HandleFunc("DELETE /orchestrators/{i}/blackhole", orch(func(i int, _ *http.Request) error { return f.setBlackhole(i, false) }))
	mux.HandleFunc("POST /orchestrators/{i}/latency", orch(func(i int, r *http.Request) error {
		d, err := durationParam(r, "d")
		if err != nil {
			return err
		}
		return f.setLatency(i, d)
	}))
	mux.HandleFunc("DELETE /orchestrators/{i}/latency", orch(func(i int, _ *http.Request) error { return f.setLatency(i, 0) }))
	mux.HandleFunc("POST /orchestrators/{i}/fail-discovery", orch(func(i int, r *http.Request) error {
		k, err := countParam(r, "n", 1)
		if err != nil {
			return err
		}
		return f.failDiscovery(i, k)
	}))
	mux.HandleFunc("POST /signer/down", plain(func(*http.Request) error { f.setSignerDown(true); return nil }))
	mux.HandleFunc("DELETE /signer/down", plain(func(*http.Request) error { f.setSignerDown(false); return nil }))
	mux.HandleFunc("POST /signer/latency", plain(func(r *http.Request) error {
		d, err := durationParam(r, "d")
		if err != nil {
			return err
		}
		f.setSignerLatency(d)
		return nil
	}))
	mux.HandleFunc("DELETE /signer/latency", plain(func(*http.Request) error { f.setSignerLatency(0); return nil }))
	mux.HandleFunc("POST /signer/balance", plain(func(r *http.Request) error {
		b, err := parseBudget(r.URL.Query().Get("wei"))
		if err != nil {
			return fmt.Errorf("wei: %w", err)
		}
		f.setBudget(b)
		return nil
	}))
	mux.HandleFunc("POST /blocks/advance", plain(func(r *http.Request) error {
		k, err := countParam(r, "n", 1)
		if err != nil {
			return err
		}
		f.advanceBlocks(int64(k))
		return nil
	}))
	c := &controlServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		_ = c.srv.Serve(ln)
	}()
	return c
}

// Close stops the endpoint and waits for it.
func (c *controlServer) Close() {
	_ = c.srv.Close()
	<-c.done
}

// durationParam reads a non-negative Go duration ("500ms", "2s").
func durationParam(r *http.Request, name string) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 500ms or 2s", name, v)
	}
	return d, nil
}

// countParam reads a positive integer, def when absent.
func countParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", name, v)
	}
	return k, nil
}
