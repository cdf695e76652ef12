package worker

import (
	"io"
	"net/http"
)

// Fail returns a worker that answers every request with status and a JSON
// body {"error": message}, after draining the request body. Orchestrators
// pass a worker's status ≥ 400 through to the client (go-livepeer: as
// text, with http.Error).
func Fail(status int, message string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, MaxRequestBytes))
		writeError(w, status, message)
	})
}
