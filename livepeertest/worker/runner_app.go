package worker

import "net/http"

// RunnerApp is a toy live-runner application (an HTTP server an
// orchestrator proxies to, see go-livepeer doc/live-runner.md) combining
// the runner toys of this package under one URL, so one runner
// registration exposes plain HTTP, server-sent events and a WebSocket:
//
//	GET /health          200 "ok" (the health_url of a static registration)
//	ANY /echo/{path...}  Echo
//	GET /ticks           Ticker (?count, ?interval_ms)
//	GET /ws              WebSocketEcho
//
// Ticker and WS are the handlers it serves, for their counters.
type RunnerApp struct {
	Ticker Ticker
	WS     WebSocketEcho
	mux    *http.ServeMux
}

// NewRunnerApp returns the app with a zero Ticker and WebSocketEcho.
func NewRunnerApp() *RunnerApp {
	a := &RunnerApp{mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	a.mux.Handle("/echo/", Echo())
	a.mux.Handle("GET /ticks", &a.Ticker)
	a.mux.Handle("GET /ws", &a.WS)
	return a
}

// ServeHTTP routes to the toys; other paths get 404.
func (a *RunnerApp) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }
