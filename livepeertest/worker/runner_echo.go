package worker

import (
	"io"
	"net/http"
	"strings"
)

// EchoResponse is what Echo answers: the request as the runner received it,
// so a test sees what an orchestrator's proxy changed (path, Host, the
// Livepeer-* session headers).
type EchoResponse struct {
	Method string `json:"method"`
	Path   string `json:"path"`  // the URL path the runner saw
	Query  string `json:"query"` // the raw query
	Host   string `json:"host"`
	Body   string `json:"body"`
	// Livepeer holds every request header whose name starts with
	// "Livepeer-" (canonical names, first value).
	Livepeer map[string]string `json:"livepeer"`
}

// Echo returns a live-runner app that answers any method on any path with
// 200 application/json EchoResponse. A body over MaxRequestBytes gives 413.
func Echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "cannot read the request body")
			return
		}
		if len(body) > MaxRequestBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		lp := map[string]string{}
		for k, v := range r.Header {
			if strings.HasPrefix(k, "Livepeer-") && len(v) > 0 {
				lp[k] = v[0]
			}
		}
		writeJSON(w, http.StatusOK, EchoResponse{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Body: string(body), Livepeer: lp,
		})
	})
}
