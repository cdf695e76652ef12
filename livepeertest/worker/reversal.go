package worker

import (
	"encoding/json"
	"io"
	"net/http"
)

// MaxRequestBytes bounds the request bodies the workers read (1 MiB).
const MaxRequestBytes = 1 << 20

// ReversalRequest is the body TextReversal accepts.
type ReversalRequest struct {
	Text string `json:"text"`
}

// ReversalResponse is TextReversal's answer, the shape of go-livepeer's BYOC
// guide (doc/byoc.md, reverse_server.py).
type ReversalResponse struct {
	Original string `json:"original"`
	Reversed string `json:"reversed"`
}

// TextReversal returns the text-reversal worker. It accepts a POST to any
// path with a JSON body {"text": "..."} and answers 200
// application/json {"original": text, "reversed": text reversed by code
// point}. A missing text counts as "" (like the guide's Flask server); a
// body that is not JSON, or a method other than POST, gives 400/405 with a
// JSON {"error": ...} body.
func TextReversal() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		var req ReversalRequest
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
		if err != nil || len(body) > MaxRequestBytes {
			writeError(w, http.StatusBadRequest, "cannot read the request body")
			return
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				writeError(w, http.StatusBadRequest, "body is not a JSON object with a text field: "+err.Error())
				return
			}
		}
		writeJSON(w, http.StatusOK, ReversalResponse{Original: req.Text, Reversed: Reverse(req.Text)})
	})
}

// Reverse reverses s by Unicode code point (Python's s[::-1]).
func Reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
