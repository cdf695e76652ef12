package livepeertest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Handlers of the runner-facing registration routes and the client-facing
// discovery, reservation and stop routes (go-livepeer server/ai_http.go).

func respondJSONOK(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// handleHeartbeat is POST /runners/heartbeat (LiveRunnerHeartbeat).
func (r *RunnerRegistry) handleHeartbeat(w http.ResponseWriter, req *http.Request) {
	var hb runnerHeartbeat
	if err := json.NewDecoder(req.Body).Decode(&hb); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := r.heartbeat(hb, req.Header.Get("Authorization"))
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	respondJSONOK(w, resp)
}

// handleUnregister is POST /runners/{runner_id}/unregister (UnregisterLiveRunner).
func (r *RunnerRegistry) handleUnregister(w http.ResponseWriter, req *http.Request) {
	if err := r.unregister(req.PathValue("runner_id"), req.Header.Get("Authorization")); err != nil {
		respondRunnerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDiscovery is GET /discovery (DiscoverLiveRunners):
// [{"address": service URI, "runners": [...ready runners...]}].
func (r *RunnerRegistry) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	respondJSONOK(w, []runnerDiscoveryEntry{{Address: r.o.URL(), Runners: r.Discovery()}})
}

// Discovery returns the records GET /discovery lists: every ready,
// unexpired runner, in no particular order (go-livepeer Runners()). Off-chain
// records carry no price_info; on-chain a price that cannot be converted is
// left out, as on master.
func (r *RunnerRegistry) Discovery() []DiscoveryRunner {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	out := []DiscoveryRunner{}
	for route, rr := range r.runners {
		if rr.route != route || rr.removed || r.expiredLocked(rr, now) || !rr.ready() {
			continue
		}
		d := DiscoveryRunner{
			URL: r.discoveryURL(rr), App: rr.req.App, Version: rr.req.Version, Metadata: rr.req.Metadata,
			Mode: rr.req.Mode, Capacity: rr.req.Capacity, CapacityUsed: len(rr.sessions),
			CapacityAvailable: rr.req.Capacity - len(rr.sessions),
		}
		if rr.req.GPU != nil {
			g := *rr.req.GPU
			d.GPU = &g
		}
		if !r.o.offchain {
			if p, err := weiPrice(rr.req.PriceInfo, r.cfg.USDPerETH); err == nil {
				d.PriceInfo = &p
			} else {
				r.log.Debug("livepeertest: live runner price unavailable", "runner_id", rr.req.RunnerID, "err", err)
			}
		}
		out = append(out, d)
	}
	return out
}

// discoveryURL is go-livepeer's discoveryRunnerURL: never the runner's own URL.
func (r *RunnerRegistry) discoveryURL(rr *regRunner) string {
	switch {
	case rr.req.Proxy && rr.req.Mode == runnerModeSingleShot:
		return r.proxyURL(rr.route)
	case rr.req.Mode == runnerModeSingleShot:
		return r.o.URL() + "/apps/" + url.PathEscape(rr.route) + "/app"
	}
	return r.o.URL() + "/apps/" + url.PathEscape(rr.route) + "/session"
}

// handleReserve is POST /apps/{runner_id}/session (ReserveLiveRunnerSession).
func (r *RunnerRegistry) handleReserve(w http.ResponseWriter, req *http.Request) {
	route := req.PathValue("runner_id")
	mode, err := r.mode(route)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	if mode != runnerModePersistent {
		http.Error(w, "only persistent runners have sessions", http.StatusBadRequest)
		return
	}
	price, err := r.paymentInfo(route)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	var sid, appURL string
	if price == nil {
		if sid, appURL, err = r.reserve(route, ""); err != nil {
			respondRunnerError(w, err)
			return
		}
	} else {
		var ok bool
		if sid, appURL, ok = r.reservePaid(w, req, route, price, nil); !ok {
			return
		}
	}
	control := r.o.URL() + "/apps/" + url.PathEscape(route) + "/session/" + url.PathEscape(sid)
	respondJSONOK(w, runnerSessionResponse{SessionID: sid, AppURL: appURL, ControlURL: control})
}

// handleStop is POST /apps/{runner_id}/session/{session_id}/stop
// (StopLiveRunnerSession): 204, also for a session already gone.
func (r *RunnerRegistry) handleStop(w http.ResponseWriter, req *http.Request) {
	if err := r.release(req.PathValue("runner_id"), req.PathValue("session_id")); err != nil {
		respondRunnerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
