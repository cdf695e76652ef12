package runner

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Headers an orchestrator injects into every request it proxies to a
// runner (go-livepeer server/ai_http.go proxyLiveRunner).
const (
	HeaderRoute   = "Livepeer-Runner-Route"
	HeaderSession = "Livepeer-Session-Id"
	HeaderToken   = "Livepeer-Session-Token"
	HeaderControl = "Livepeer-Session-Control"
)

// heartbeatRequest is the body of POST /runners/heartbeat (go-livepeer
// LiveRunnerHeartbeatRequest).
type heartbeatRequest struct {
	RunnerID   string     `json:"runner_id,omitempty"`
	Label      string     `json:"label,omitempty"`
	Proxy      bool       `json:"proxy,omitempty"`
	RunnerURL  string     `json:"runner_url"`
	Version    string     `json:"version,omitempty"`
	Metadata   string     `json:"metadata,omitempty"`
	Status     string     `json:"status,omitempty"`
	Mode       string     `json:"mode,omitempty"`
	GPU        *GPU       `json:"gpu,omitempty"`
	App        string     `json:"app"`
	Capacity   int        `json:"capacity"`
	PriceInfo  *wirePrice `json:"price_info,omitempty"`
	SessionIDs []string   `json:"session_ids,omitempty"`
}

type wirePrice struct {
	Price    json.Number `json:"price"`
	Currency string      `json:"currency,omitempty"`
	Unit     string      `json:"unit,omitempty"`
}

// heartbeatResponse is its answer (go-livepeer LiveRunnerHeartbeatResponse).
type heartbeatResponse struct {
	RunnerID          string   `json:"runner_id"`
	Orchestrator      string   `json:"orchestrator"`
	HeartbeatInterval string   `json:"heartbeat_interval"`
	HeartbeatTTL      string   `json:"heartbeat_ttl"`
	HeartbeatSecret   string   `json:"heartbeat_secret"`
	O2R               *Channel `json:"o2r"`
	SessionIDs        []string `json:"session_ids"`
}

// o2rMessage is one message of the O2R channel: a keepalive
// {"keep":"alive"} or a session event.
type o2rMessage struct {
	Keep      string    `json:"keep"`
	Event     string    `json:"event"` // "reserved" or "released"
	Session   string    `json:"session"`
	Timestamp time.Time `json:"timestamp"`
}

func (g Registration) wire(runnerID string, sessions []string) heartbeatRequest {
	req := heartbeatRequest{
		RunnerID: runnerID, Label: g.Label, Proxy: g.Proxy, RunnerURL: g.URL, Version: g.Version,
		Metadata: g.Metadata, Status: g.Status, Mode: string(g.Mode), App: g.App, Capacity: g.Capacity,
		SessionIDs: sessions,
	}
	if g.GPU != nil {
		gpu := *g.GPU
		req.GPU = &gpu
	}
	if g.Price != nil {
		unit := g.Price.Unit
		if unit == "" {
			unit = PerHour
		}
		req.PriceInfo = &wirePrice{Price: json.Number(strings.TrimSpace(g.Price.USD)), Currency: "usd", Unit: string(unit)}
	}
	return req
}

// parseDuration reads a Go duration string, falling back to def when it is
// missing or not positive.
func parseDuration(s string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return def
	}
	return d
}

// Defaults used when an orchestrator's answer omits a duration
// (go-livepeer's own defaults).
const (
	defaultHeartbeatInterval = 5 * time.Second
	defaultHeartbeatTTL      = 20 * time.Second
)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// forgotten reports the answers that mean the orchestrator no longer knows
// the registration: 401 (removed: the secret matches nothing) and 404
// (expired, not yet removed).
func forgotten(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusNotFound
}
