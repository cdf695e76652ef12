package liverunner

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Mode is a runner's session model (go-livepeer ai/runner/live_runner.go
// LiveRunnerModePersistent, LiveRunnerModeSingleShot).
type Mode string

const (
	// Persistent: a client reserves a session (POST {Runner.URL}), makes any
	// number of requests to its app URL, pays on a timer and stops it.
	Persistent Mode = "persistent"
	// SingleShot: every request to {Runner.URL}/{path} is a session of its
	// own, reserved and released by the orchestrator around that request.
	SingleShot Mode = "single-shot"
)

// Price units of a runner's wei price in discovery and 402 challenges
// (go-livepeer server/remote_discovery.go validateRunnerPrice).
const (
	UnitSeconds          = "seconds"            // wei per second of session
	UnitPixelSeconds     = "720p-pixel-seconds" // wei per pixel of 720p at 30 fps
	UnitFixed            = "fixed"              // wei per session (or single-shot request)
	CurrencyWei          = "wei"                // the only currency of discovery and challenge prices
	defaultServerlessTag = "serverless"
)

// GPU is a runner's advertised GPU (go-livepeer LiveRunnerGPU). A
// registration may give a bare device index, which go-livepeer resolves on
// its own host; the record then carries that index as ID.
type GPU struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	VRAMMB int    `json:"vram_mb,omitempty"`
}

// UnmarshalJSON accepts an object or a device index.
func (g *GPU) UnmarshalJSON(b []byte) error {
	var idx int
	if err := json.Unmarshal(b, &idx); err == nil {
		*g = GPU{ID: strconv.Itoa(idx)}
		return nil
	}
	type plain GPU
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = GPU(p)
	return nil
}

// Price is a runner's price as discovery and challenges give it
// (go-livepeer LiveRunnerPriceInfo with currency "wei"): Wei wei per Unit.
type Price struct {
	Wei      *big.Rat // positive
	Currency string   // "wei"
	Unit     string   // UnitSeconds, UnitPixelSeconds or UnitFixed
}

// String prints "<wei> wei/<unit>".
func (p *Price) String() string {
	if p == nil || p.Wei == nil {
		return "free"
	}
	return p.Wei.RatString() + " " + p.Currency + "/" + p.Unit
}

// PaymentType is the remote signer's payment type for the unit
// (go-livepeer server/remote_signer.go): "seconds" → signer.TypeLive,
// "720p-pixel-seconds" → signer.TypeLV2V, "fixed" → signer.TypeFixed. An
// unknown unit gives an error.
func (p *Price) PaymentType() (string, error) {
	if p == nil {
		return "", fmt.Errorf("liverunner: no price")
	}
	switch strings.ToLower(strings.TrimSpace(p.Unit)) {
	case UnitSeconds:
		return signer.TypeLive, nil
	case UnitPixelSeconds:
		return signer.TypeLV2V, nil
	case UnitFixed:
		return signer.TypeFixed, nil
	}
	return "", fmt.Errorf("liverunner: unknown price unit %q (seconds, 720p-pixel-seconds or fixed)", p.Unit)
}

// MaxPrice returns p as the signer's maxPrice ceiling for its unit.
func (p *Price) MaxPrice() *signer.MaxPrice {
	if p == nil || p.Wei == nil {
		return nil
	}
	return &signer.MaxPrice{Price: p.Wei.FloatString(0), Currency: CurrencyWei, Unit: strings.ToLower(strings.TrimSpace(p.Unit))}
}

// priceWire is price_info on the wire.
type priceWire struct {
	Price    json.Number `json:"price"`
	Currency string      `json:"currency,omitempty"`
	Unit     string      `json:"unit,omitempty"`
}

// parsePrice validates a discovery price as go-livepeer's
// validateRunnerPrice: a positive decimal, currency "wei", a known unit.
func parsePrice(w *priceWire) (*Price, error) {
	if w == nil {
		return nil, nil
	}
	v, ok := new(big.Rat).SetString(strings.TrimSpace(w.Price.String()))
	if !ok || v.Sign() <= 0 {
		return nil, fmt.Errorf("invalid price %q", w.Price)
	}
	cur := strings.ToLower(strings.TrimSpace(w.Currency))
	if cur != CurrencyWei {
		return nil, fmt.Errorf("unsupported currency %q", w.Currency)
	}
	unit := strings.ToLower(strings.TrimSpace(w.Unit))
	switch unit {
	case UnitSeconds, UnitPixelSeconds, UnitFixed:
	default:
		return nil, fmt.Errorf("unsupported unit %q", w.Unit)
	}
	return &Price{Wei: v, Currency: cur, Unit: unit}, nil
}

// Runner is one runner record of an orchestrator's GET /discovery or a
// remote signer's /discover-orchestrators "runners" (go-livepeer
// LiveRunnerDiscoveryRunner), with the orchestrator that listed it.
type Runner struct {
	// Orchestrator is the "address" of the discovery entry that listed the
	// runner (the orchestrator's service URL).
	Orchestrator string
	// URL is where a client reaches it, always on the orchestrator:
	// {svc}/apps/{route}/session for persistent runners, {svc}/apps/{route}/app
	// (or a proxy URL) for single-shot ones.
	URL string
	// App names the application, conventionally "pipeline/model".
	App string
	// Version and Metadata are what the runner advertises, as given
	// (Metadata is opaque public text, at most 1024 bytes).
	Version, Metadata string
	// Mode is Persistent or SingleShot ("" is read as Persistent).
	Mode Mode
	// Capacity is how many sessions the runner serves at once;
	// CapacityUsed are reserved now, CapacityAvailable are free.
	Capacity, CapacityUsed, CapacityAvailable int
	// GPU is the advertised GPU, nil when none.
	GPU *GPU
	// Price is nil off-chain (no payment is asked).
	Price *Price
	// Latency is how long the discovery answer that listed the runner took
	// (zero when a signer or an endpoint listed it).
	Latency time.Duration
	// Raw is the record as received.
	Raw json.RawMessage
}

// Serverless reports whether the runner's version starts with
// "serverless": such a Scope runner answers the start call with the
// live-video-to-video job JSON itself (the Python SDK's rule).
func (r Runner) Serverless() bool { return strings.HasPrefix(r.Version, defaultServerlessTag) }

// String names the runner in logs and errors: "app at url".
func (r Runner) String() string { return r.App + " at " + r.URL }

// runnerWire is a runner record on the wire.
type runnerWire struct {
	URL               string     `json:"url"`
	GPU               *GPU       `json:"gpu,omitempty"`
	App               string     `json:"app"`
	Version           string     `json:"version,omitempty"`
	Metadata          string     `json:"metadata,omitempty"`
	Mode              string     `json:"mode,omitempty"`
	Capacity          int        `json:"capacity"`
	CapacityUsed      int        `json:"capacity_used"`
	CapacityAvailable int        `json:"capacity_available"`
	PriceInfo         *priceWire `json:"price_info,omitempty"`
}

// entryWire is one element of a discovery answer.
type entryWire struct {
	Address string            `json:"address"`
	Runners []json.RawMessage `json:"runners"`
}

// sessionAnswer is the answer of a reservation (go-livepeer
// liveRunnerSessionResponse).
type sessionAnswer struct {
	SessionID  string `json:"session_id"`
	AppURL     string `json:"app_url"`
	ControlURL string `json:"control_url"`
}

// challengeWire is the JSON 402 body (go-livepeer
// liveRunnerPaymentChallengeResponse).
type challengeWire struct {
	PaymentParams string `json:"payment_params"`
	Orchestrator  string `json:"orchestrator"`
	ManifestID    string `json:"manifest_id"`
	PaymentURL    string `json:"payment_url"`
}
