package livepeertest

import (
	"encoding/json"
	"strconv"
)

// Wire types of go-livepeer's live runners, field for field with
// ai/runner/live_runner.go (master) and the handlers in server/ai_http.go.

// RunnerGPU describes a runner's GPU (go-livepeer LiveRunnerGPU). In a
// runners.json document or a heartbeat it may also be written as a bare
// integer, a local device index: go-livepeer then looks the card's name up
// on its own host; the in-process network records only the index as ID.
type RunnerGPU struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	VRAMMB int    `json:"vram_mb,omitempty"`
}

// UnmarshalJSON accepts an object or a device index.
func (g *RunnerGPU) UnmarshalJSON(b []byte) error {
	var idx int
	if err := json.Unmarshal(b, &idx); err == nil {
		*g = RunnerGPU{ID: strconv.Itoa(idx)}
		return nil
	}
	type plain RunnerGPU
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = RunnerGPU(p)
	return nil
}

// RunnerPrice is a price_info object (go-livepeer LiveRunnerPriceInfo).
// Registrations (runners.json, heartbeats) price in USD: currency "usd",
// unit "hour" | "720p" | "fixed". Discovery and payments price in wei:
// currency "wei", unit "seconds" | "720p-pixel-seconds" | "fixed".
type RunnerPrice struct {
	Price    json.Number `json:"price"`
	Currency string      `json:"currency,omitempty"`
	Unit     string      `json:"unit,omitempty"`
}

// StaticRunners is a runners.json document (go-livepeer
// StaticLiveRunnerConfig, loaded with -liveRunnerConfig or posted to the CLI
// route /registerLiveRunners): an object with a "runners" array.
type StaticRunners struct {
	Runners []StaticRunner `json:"runners"`
}

// StaticRunner is one entry of a runners.json document (go-livepeer
// StaticLiveRunnerConfigEntry). See go-livepeer doc/live-runner.md
// "Static runner configuration" for each field's defaults and validation,
// which RunnerRegistry.RegisterStatic applies.
type StaticRunner struct {
	Label             string      `json:"label,omitempty"`
	Routing           string      `json:"routing,omitempty"` // "runner-id" (default) or "label"
	Proxy             bool        `json:"proxy,omitempty"`
	RunnerURL         string      `json:"runner_url"`
	Version           string      `json:"version,omitempty"`
	Metadata          string      `json:"metadata,omitempty"`
	Mode              string      `json:"mode,omitempty"` // "persistent" (default), "single-shot" or "single_shot"
	GPU               *RunnerGPU  `json:"gpu,omitempty"`
	App               string      `json:"app"`
	Capacity          int         `json:"capacity"`
	PriceInfo         RunnerPrice `json:"price_info"`
	HealthURL         string      `json:"health_url"` // absolute, or a path resolved against runner_url
	HealthyStatusCode int         `json:"healthy_status_code,omitempty"`
}

// StaticRunnerRegistration is one entry of RegisterStatic's answer
// (go-livepeer StaticLiveRunnerRegistration).
type StaticRunnerRegistration struct {
	RunnerID          string `json:"runner_id"`
	Label             string `json:"label,omitempty"`
	App               string `json:"app"`
	Proxy             bool   `json:"proxy,omitempty"`
	RunnerURL         string `json:"runner_url"`
	Mode              string `json:"mode,omitempty"`
	HealthURL         string `json:"health_url"`
	HealthyStatusCode int    `json:"healthy_status_code"`
	Healthy           bool   `json:"healthy"`
}

// DiscoveryRunner is one runner record of GET /discovery and of the
// signer's /discover-orchestrators (go-livepeer LiveRunnerDiscoveryRunner).
// URL is always an orchestrator URL, never the runner's own; PriceInfo is
// absent off-chain.
type DiscoveryRunner struct {
	URL               string       `json:"url"`
	GPU               *RunnerGPU   `json:"gpu,omitempty"`
	App               string       `json:"app"`
	Version           string       `json:"version,omitempty"`
	Metadata          string       `json:"metadata,omitempty"`
	Mode              string       `json:"mode,omitempty"`
	Capacity          int          `json:"capacity"`
	CapacityUsed      int          `json:"capacity_used"`
	CapacityAvailable int          `json:"capacity_available"`
	PriceInfo         *RunnerPrice `json:"price_info,omitempty"`
}

// runnerHeartbeat is the body of POST /runners/heartbeat (go-livepeer
// LiveRunnerHeartbeatRequest); static entries are normalised into it too.
type runnerHeartbeat struct {
	RunnerID   string      `json:"runner_id,omitempty"`
	Label      string      `json:"label,omitempty"`
	Proxy      bool        `json:"proxy,omitempty"`
	RunnerURL  string      `json:"runner_url"`
	Version    string      `json:"version,omitempty"`
	Metadata   string      `json:"metadata,omitempty"`
	Status     string      `json:"status,omitempty"`
	Mode       string      `json:"mode,omitempty"`
	GPU        *RunnerGPU  `json:"gpu,omitempty"`
	App        string      `json:"app"`
	Capacity   int         `json:"capacity"`
	PriceInfo  RunnerPrice `json:"price_info"`
	SessionIDs []string    `json:"session_ids,omitempty"`
}

// runnerHeartbeatResponse is the answer (go-livepeer
// LiveRunnerHeartbeatResponse): durations as Go duration strings;
// heartbeat_secret and o2r only on the first registration.
type runnerHeartbeatResponse struct {
	RunnerID          string         `json:"runner_id"`
	Orchestrator      string         `json:"orchestrator,omitempty"`
	HeartbeatInterval string         `json:"heartbeat_interval"`
	HeartbeatTTL      string         `json:"heartbeat_ttl"`
	HeartbeatSecret   string         `json:"heartbeat_secret,omitempty"`
	O2R               *runnerChannel `json:"o2r,omitempty"`
	SessionIDs        []string       `json:"session_ids"`
}

// runnerChannel is a trickle channel descriptor (go-livepeer
// LiveRunnerTrickleChannel).
type runnerChannel struct {
	Name        string `json:"name"`
	ChannelName string `json:"channel_name"`
	URL         string `json:"url"`
	InternalURL string `json:"internal_url,omitempty"`
	MimeType    string `json:"mime_type"`
}

// runnerProxy is the answer of the proxy callback (go-livepeer LiveRunnerProxy).
type runnerProxy struct {
	ProxyID string `json:"proxy_id"`
	URL     string `json:"url"`
}

// runnerSessionResponse is the answer of a reservation (server/ai_http.go
// liveRunnerSessionResponse).
type runnerSessionResponse struct {
	SessionID  string `json:"session_id"`
	AppURL     string `json:"app_url"`
	ControlURL string `json:"control_url"`
}

// runnerChallenge is the JSON 402 body (server/ai_http.go
// liveRunnerPaymentChallengeResponse): payment_params is the base64
// protobuf OrchestratorInfo.
type runnerChallenge struct {
	PaymentParams string `json:"payment_params"`
	Orchestrator  string `json:"orchestrator"`
	ManifestID    string `json:"manifest_id"`
	PaymentURL    string `json:"payment_url"`
}

// runnerDiscoveryEntry is one element of GET /discovery (server/ai_http.go
// liveRunnerDiscoveryEntry).
type runnerDiscoveryEntry struct {
	Address string            `json:"address,omitempty"`
	Runners []DiscoveryRunner `json:"runners,omitempty"`
}
