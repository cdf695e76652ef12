package runner

import (
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Mode is a runner's session model (go-livepeer ai/runner/live_runner.go).
type Mode string

const (
	// Persistent: a client reserves a session, makes any number of
	// requests, pays on a timer and stops it (the default).
	Persistent Mode = "persistent"
	// SingleShot: the orchestrator reserves a session for exactly one
	// proxied request.
	SingleShot Mode = "single-shot"
)

// PriceUnit is the unit of a registration price.
type PriceUnit string

const (
	// PerHour prices each hour of a session (clients pay per second).
	PerHour PriceUnit = "hour"
	// Per720p prices an hour of 720p video at 30 fps (clients pay per pixel).
	Per720p PriceUnit = "720p"
	// Fixed prices a whole session (or single-shot request), paid once.
	Fixed PriceUnit = "fixed"
)

// Price is what a runner charges, in US dollars; the orchestrator converts
// it to wei with its price feed (go-livepeer LiveRunnerPriceInfo, currency
// "usd"). On-chain orchestrators require one; off-chain ones ignore it.
type Price struct {
	USD  string    // a positive decimal, e.g. "3.50"
	Unit PriceUnit // "" means PerHour
}

// GPU describes the runner's GPU in discovery (go-livepeer LiveRunnerGPU).
type GPU struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	VRAMMB int    `json:"vram_mb,omitempty"`
}

// Registration is what a runner advertises (the body of go-livepeer's POST
// /runners/heartbeat). Everything but URL and App may change while the
// runner runs (Runner.Update).
type Registration struct {
	// URL is where the orchestrator reaches the application (runner_url):
	// an absolute http(s) URL, never shown to clients.
	URL string
	// App names the application, conventionally "pipeline/model" (for
	// example "live-video-to-video/scope"); it must be trimmed.
	App string
	// Version and Metadata are advertised verbatim in discovery; Metadata
	// is public (no secrets), valid UTF-8, at most 1024 bytes.
	Version, Metadata string
	// Mode is Persistent ("" means Persistent) or SingleShot.
	Mode Mode
	// Capacity is how many sessions the runner serves at once (0 means 1).
	Capacity int
	// Price is required on-chain; nil sends none.
	Price *Price
	// GPU is advertised in discovery when set.
	GPU *GPU
	// Proxy: persistent sessions get a random proxy URL as app_url;
	// single-shot runners are advertised at a proxy URL.
	Proxy bool
	// Status: only "" or "ready" is discoverable and reservable; another
	// lower-case value (e.g. "busy", "draining") hides the runner and makes
	// every call to its sessions answer 404 until it is ready again (the
	// sessions are kept).
	Status string
	// Label is sent but ignored by go-livepeer for dynamic runners (their
	// route is their runner id).
	Label string
}

// Orchestrator is one orchestrator to register with.
type Orchestrator struct {
	// URL is the orchestrator's runner-facing base URL (go-livepeer
	// -liveRunnerAddr, else its service address), e.g. https://orch:8935.
	URL string
	// Secret is the bootstrap secret (go-livepeer -orchSecret), sent raw in
	// the Authorization header of a first registration.
	Secret string
	// RunnerID, when set, is proposed for the first registration (the
	// orchestrator generates one otherwise). Re-registrations never reuse
	// an id: go-livepeer answers 401 to a reused id until the old entry expires.
	RunnerID string
	// Resume continues a registration a previous process made (see
	// Runner.Credentials): the Runner heartbeats with it, learns the
	// sessions the orchestrator still holds, and registers afresh if the
	// orchestrator has forgotten it.
	Resume *Credentials
}

// Credentials identify a live registration; persist them to resume it
// after a restart within the orchestrator's heartbeat TTL. HeartbeatSecret
// is a secret.
type Credentials struct {
	RunnerID        string `json:"runner_id"`
	HeartbeatSecret string `json:"heartbeat_secret"`
	// Orchestrator is the runner-facing URL the orchestrator returned.
	Orchestrator string `json:"orchestrator"`
	// O2RURL is the registration's orchestrator-to-runner channel.
	O2RURL string `json:"o2r_url"`
}

// Config configures New.
type Config struct {
	// Orchestrators to register with when Start is called; none is valid
	// (an application an operator registers statically only needs Handler).
	Orchestrators []Orchestrator
	// Registration is advertised to every orchestrator.
	Registration Registration
	// OnSession, when set, is called in its own goroutine for each session
	// of a registration as soon as the Runner learns of it (an O2R
	// "reserved" event, a heartbeat's session_ids, or its first request).
	// The session's Context ends when the session does; Close waits for
	// OnSession calls, so return once it has ended.
	OnSession func(*Session)
	// HTTPClient sends registrations, heartbeats and callbacks. Default: a
	// client that does not verify TLS certificates unless VerifyTLS.
	HTTPClient *http.Client
	VerifyTLS  bool
	// RequestTimeout bounds each registration, heartbeat and callback
	// request (default 10 s).
	RequestTimeout time.Duration
	// MinBackoff and MaxBackoff bound the retry delay after a failed
	// registration or heartbeat (defaults 250 ms and 30 s; it doubles).
	MinBackoff, MaxBackoff time.Duration
	// CloseTimeout bounds the unregistrations Close sends (default 5 s).
	CloseTimeout time.Duration
	// Logger receives logs (registrations, refusals, sessions; heartbeats
	// at debug level). Default: discard.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(30*time.Second, c.MinBackoff)
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func invalid(field, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, a...))
}

func checkHTTPURL(field, s string) error {
	u, err := url.ParseRequestURI(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return invalid(field, "%q is not an absolute http(s) URL", s)
	}
	return nil
}

// validate checks a registration with go-livepeer's rules
// (normalizeHeartbeat, ValidateLiveRunnerMetadata, normalizeLiveRunnerPriceInfo).
func (g Registration) validate() error {
	if err := checkHTTPURL("Registration.URL", g.URL); err != nil {
		return err
	}
	if g.App == "" || g.App != strings.TrimSpace(g.App) {
		return invalid("Registration.App", "must be non-empty and trimmed")
	}
	if len(g.Metadata) > 1024 {
		return invalid("Registration.Metadata", "%d bytes, at most 1024", len(g.Metadata))
	}
	if !utf8.ValidString(g.Metadata) || strings.ContainsRune(g.Metadata, utf8.RuneError) {
		return invalid("Registration.Metadata", "must be valid UTF-8 without U+FFFD")
	}
	if g.Status != strings.ToLower(strings.TrimSpace(g.Status)) {
		return invalid("Registration.Status", "%q must be lower-case and trimmed", g.Status)
	}
	switch g.Mode {
	case "", Persistent, SingleShot:
	default:
		return invalid("Registration.Mode", "%q is not persistent or single-shot", g.Mode)
	}
	if g.Capacity < 0 {
		return invalid("Registration.Capacity", "%d is negative", g.Capacity)
	}
	if p := g.Price; p != nil {
		v, ok := new(big.Rat).SetString(strings.TrimSpace(p.USD))
		if !ok || v.Sign() <= 0 {
			return invalid("Registration.Price.USD", "%q is not a positive decimal", p.USD)
		}
		switch p.Unit {
		case "", PerHour, Per720p, Fixed:
		default:
			return invalid("Registration.Price.Unit", "%q is not hour, 720p or fixed", p.Unit)
		}
	}
	return nil
}

func (c Config) validate() error {
	if err := c.Registration.validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, o := range c.Orchestrators {
		f := fmt.Sprintf("Orchestrators[%d]", i)
		if err := checkHTTPURL(f+".URL", o.URL); err != nil {
			return err
		}
		if seen[o.URL] {
			return invalid(f+".URL", "%q is listed twice", o.URL)
		}
		seen[o.URL] = true
		if o.Secret == "" && o.Resume == nil {
			return invalid(f+".Secret", "required (or Resume)")
		}
		if o.Resume != nil && (o.Resume.RunnerID == "" || o.Resume.HeartbeatSecret == "") {
			return invalid(f+".Resume", "needs RunnerID and HeartbeatSecret")
		}
	}
	return nil
}
