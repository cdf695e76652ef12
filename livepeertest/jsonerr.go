package livepeertest

import (
	"encoding/json"
	"net/http"
)

// writeJSONError writes go-livepeer's error envelope {"error":{"message":...}}
// (server/handlers.go respondJsonError), which replaces the message of 500 and
// 503 answers with a fixed text.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	switch status {
	case http.StatusInternalServerError:
		msg = "Internal Server Error"
	case http.StatusServiceUnavailable:
		msg = "Service Unavailable Error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
