package livepeertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// The runner session callbacks (go-livepeer server/ai_http.go): every one
// checks Livepeer-Session-Token against the session first (404 for an
// unknown or not-ready runner or session, 401 for a wrong token).

// SessionTokenHeader carries the session-scoped secret of runner callbacks;
// the orchestrator also injects it into every proxied request.
const SessionTokenHeader = "Livepeer-Session-Token"

type channelsRequest struct {
	Channels []struct {
		Name     string `json:"name"`
		MimeType string `json:"mime_type"`
	} `json:"channels"`
}

// handleCreateChannels is POST /runner/{runner_id}/session/{session_id}/channels
// (CreateLiveRunnerTrickleChannel).
func (r *RunnerRegistry) handleCreateChannels(w http.ResponseWriter, req *http.Request) {
	route, sid := req.PathValue("runner_id"), req.PathValue("session_id")
	if err := r.checkToken(route, sid, req.Header.Get(SessionTokenHeader)); err != nil {
		respondRunnerError(w, err)
		return
	}
	var body channelsRequest
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !checkChannelCount(w, len(body.Channels)) {
		return
	}
	out := make([]runnerChannel, 0, len(body.Channels))
	for _, c := range body.Channels {
		ch, err := r.createChannel(route, sid, c.Name, c.MimeType)
		if err != nil {
			respondRunnerError(w, err)
			return
		}
		out = append(out, ch)
	}
	respondJSONOK(w, struct {
		Channels []runnerChannel `json:"channels"`
	}{out})
}

// handleDeleteChannels is DELETE /runner/{runner_id}/session/{session_id}/channels
// (DeleteLiveRunnerTrickleChannels).
func (r *RunnerRegistry) handleDeleteChannels(w http.ResponseWriter, req *http.Request) {
	route, sid := req.PathValue("runner_id"), req.PathValue("session_id")
	if err := r.checkToken(route, sid, req.Header.Get(SessionTokenHeader)); err != nil {
		respondRunnerError(w, err)
		return
	}
	var body struct {
		Channels []string `json:"channels"`
	}
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !checkChannelCount(w, len(body.Channels)) {
		return
	}
	for _, name := range body.Channels {
		if err := r.deleteChannel(route, sid, name); err != nil {
			respondRunnerError(w, err)
			return
		}
	}
	respondJSONOK(w, struct {
		Deleted []string `json:"deleted"`
	}{body.Channels})
}

func checkChannelCount(w http.ResponseWriter, n int) bool {
	if n == 0 {
		http.Error(w, "channels is required", http.StatusBadRequest)
		return false
	}
	if n > maxRunnerChannels {
		http.Error(w, fmt.Sprintf("channels cannot contain more than %d entries", maxRunnerChannels), http.StatusBadRequest)
		return false
	}
	return true
}

// handleCreateProxy is POST /runner/{runner_id}/session/{session_id}/proxy
// (CreateLiveRunnerSessionProxy): an empty body or {} proxies the runner
// URL, {"target_url": ...} another URL on the runner's host.
func (r *RunnerRegistry) handleCreateProxy(w http.ResponseWriter, req *http.Request) {
	route, sid := req.PathValue("runner_id"), req.PathValue("session_id")
	if err := r.checkToken(route, sid, req.Header.Get(SessionTokenHeader)); err != nil {
		respondRunnerError(w, err)
		return
	}
	var body struct {
		TargetURL string `json:"target_url"`
	}
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p, err := r.createProxy(route, sid, body.TargetURL)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	respondJSONOK(w, p)
}

// handleRunnerStop is POST /runner/{runner_id}/session/{session_id}/stop
// (StopLiveRunnerSessionInternal): the runner releases its own session.
func (r *RunnerRegistry) handleRunnerStop(w http.ResponseWriter, req *http.Request) {
	route, sid := req.PathValue("runner_id"), req.PathValue("session_id")
	if err := r.checkToken(route, sid, req.Header.Get(SessionTokenHeader)); err != nil {
		respondRunnerError(w, err)
		return
	}
	if err := r.release(route, sid); err != nil {
		respondRunnerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
