package liverunner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Rejection records why a runner (Orchestrator: its URL) or an
// orchestrator (its address) was not used; it is livepeer.Rejection.
type Rejection = lperr.Rejection

// ErrNoDiscovery reports an orchestrator without live-runner support: its
// GET /discovery answered 404 (go-livepeer without a live-runner manager).
var ErrNoDiscovery = errors.New("liverunner: orchestrator serves no live-runner discovery")

// Source lists live runners. app, when not empty, is a hint a source may
// pass on (the signer filters its answer by it); every source may return
// runners of other apps too: Rank filters. Implementations are safe for
// concurrent use.
type Source interface {
	// Runners returns the runners, in the source's order, and why the
	// orchestrators that did not answer were left out. The error is for a
	// source that failed as a whole.
	Runners(ctx context.Context, app string) ([]Runner, []Rejection, error)
	// String names the source in logs and errors (no credentials).
	String() string
}

// maxDiscoveryBody bounds a discovery answer.
const maxDiscoveryBody = 4 << 20

// decodeEntries parses a discovery answer ([{"address", "runners"}]):
// records that are not objects, lack a url or an app, or carry a price
// that is not a positive wei price in a known unit are rejected (as
// go-livepeer's remote discovery filters them); entries without runners
// are skipped; a runner URL listed twice keeps its first record. latency is
// set on every record.
func decodeEntries(body []byte, latency time.Duration) ([]Runner, []Rejection, error) {
	var entries []json.RawMessage
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, nil, fmt.Errorf("liverunner: discovery answer is not a JSON list: %w", err)
	}
	var out []Runner
	var rej []Rejection
	seen := map[string]bool{}
	for _, raw := range entries {
		var e entryWire
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		for _, rr := range e.Runners {
			r, err := decodeRunner(strings.TrimSpace(e.Address), rr)
			if err != nil {
				rej = append(rej, Rejection{Orchestrator: firstNonEmpty(r.URL, e.Address), Err: err})
				continue
			}
			if seen[r.URL] {
				continue
			}
			seen[r.URL] = true
			r.Latency = latency
			out = append(out, r)
		}
	}
	return out, rej, nil
}

// ErrInvalidRunner reports a runner record that cannot be used (no URL, no
// app, a bad price).
var ErrInvalidRunner = errors.New("liverunner: invalid runner record")

func decodeRunner(orch string, raw json.RawMessage) (Runner, error) {
	var w runnerWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Runner{}, fmt.Errorf("%w: %v", ErrInvalidRunner, err)
	}
	r := Runner{
		Orchestrator: orch, URL: strings.TrimSpace(w.URL), App: strings.TrimSpace(w.App), Version: w.Version,
		Metadata: w.Metadata, Mode: Mode(strings.TrimSpace(w.Mode)), Capacity: w.Capacity, CapacityUsed: w.CapacityUsed,
		CapacityAvailable: w.CapacityAvailable, GPU: w.GPU, Raw: append(json.RawMessage(nil), raw...),
	}
	if r.Mode == "" {
		r.Mode = Persistent
	}
	if r.Mode == "single_shot" { // go-livepeer accepts both spellings at registration
		r.Mode = SingleShot
	}
	if r.URL == "" {
		return r, fmt.Errorf("%w: missing url", ErrInvalidRunner)
	}
	if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return r, fmt.Errorf("%w: url %q is not an absolute http(s) URL", ErrInvalidRunner, r.URL)
	}
	if r.App == "" {
		return r, fmt.Errorf("%w: missing app", ErrInvalidRunner)
	}
	p, err := parsePrice(w.PriceInfo)
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrInvalidRunner, err)
	}
	r.Price = p
	return r, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// OrchestratorSource asks each orchestrator of a list for its runners:
// GET {orchestrator}/discovery (go-livepeer DiscoverLiveRunners), all at
// once, each bounded by the timeout.
type OrchestratorSource struct {
	addrs   []string
	hc      Doer
	timeout time.Duration
}

// FromOrchestrators returns a Source over addrs ("host:port" or
// "https://host:port", as discovery.ParseAddress accepts; blanks are
// dropped). hc sends the requests (orchestrators use self-signed
// certificates); timeout bounds each one (0: DefaultRequestTimeout).
func FromOrchestrators(addrs []string, hc Doer, timeout time.Duration) *OrchestratorSource {
	s := &OrchestratorSource{hc: hc, timeout: timeout}
	if s.timeout <= 0 {
		s.timeout = DefaultRequestTimeout
	}
	for _, a := range addrs {
		if a = strings.TrimSpace(a); a != "" {
			s.addrs = append(s.addrs, a)
		}
	}
	return s
}

// String returns "orchestrator list (N)".
func (s *OrchestratorSource) String() string {
	return fmt.Sprintf("orchestrator list (%d)", len(s.addrs))
}

// Runners asks every orchestrator; one that fails (unreachable, not 200,
// a body that is not a discovery answer, 404: no live runners) is a
// rejection (errors.Is ErrNoDiscovery for the 404). The error is ctx's
// when it ended.
func (s *OrchestratorSource) Runners(ctx context.Context, _ string) ([]Runner, []Rejection, error) {
	type result struct {
		runners []Runner
		rej     []Rejection
	}
	results := make([]result, len(s.addrs))
	var wg sync.WaitGroup
	for i, a := range s.addrs {
		wg.Go(func() {
			rs, rej, err := s.ask(ctx, a)
			if err != nil {
				rej = append(rej, Rejection{Orchestrator: a, Err: err})
			}
			results[i] = result{rs, rej}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("liverunner: discovery: %w", err)
	}
	var out []Runner
	var rej []Rejection
	seen := map[string]bool{}
	for _, r := range results {
		for _, rr := range r.runners {
			if !seen[rr.URL] {
				seen[rr.URL] = true
				out = append(out, rr)
			}
		}
		rej = append(rej, r.rej...)
	}
	return out, rej, nil
}

func (s *OrchestratorSource) ask(ctx context.Context, addr string) ([]Runner, []Rejection, error) {
	base, err := orchestratorBase(addr)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/discovery", nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("liverunner: discovery at %s: %w: %w", addr, lperr.ErrOrchestratorUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, nil, fmt.Errorf("%w (%s answered 404)", ErrNoDiscovery, addr)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, lperr.ReadOrchestratorError("discovery", addr, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("liverunner: discovery at %s: %w: %w", addr, lperr.ErrOrchestratorUnavailable, err)
	}
	if len(body) > maxDiscoveryBody {
		return nil, nil, fmt.Errorf("liverunner: discovery answer of %s larger than %d bytes", addr, maxDiscoveryBody)
	}
	return decodeEntries(body, time.Since(start))
}

// orchestratorBase turns an orchestrator address into its https base URL.
func orchestratorBase(addr string) (string, error) {
	if strings.HasPrefix(addr, "http://") {
		u, err := url.Parse(addr)
		if err != nil || u.Host == "" {
			return "", &discovery.AddressError{Addr: addr, Reason: "not a URL"}
		}
		return "http://" + u.Host, nil
	}
	target, err := discovery.ParseAddress(addr)
	if err != nil {
		return "", err
	}
	return "https://" + target, nil
}

// SignerDiscovery is the remote signer's discovery. *signer.Client
// implements it.
type SignerDiscovery interface {
	DiscoverOrchestrators(ctx context.Context, caps []string) ([]signer.Orchestrator, error)
	URLs() []string
}

// SignerSource reads the runner records of a remote signer's GET
// /discover-orchestrators (go-livepeer server/remote_discovery.go: on-chain
// priced runners only, merged per address, first record per URL wins).
type SignerSource struct{ s SignerDiscovery }

// FromSigner returns a Source over the signer's discovery.
func FromSigner(s SignerDiscovery) *SignerSource { return &SignerSource{s: s} }

// String returns "signer discovery <url>".
func (s *SignerSource) String() string {
	if u := s.s.URLs(); len(u) > 0 {
		return "signer discovery " + u[0]
	}
	return "signer discovery"
}

// Runners asks the signer, with caps=app when app is set (go-livepeer's
// signer indexes each runner's app among the address's capabilities).
// Errors are the signer's (errors.Is livepeer.ErrSignerUnavailable when it
// is down).
func (s *SignerSource) Runners(ctx context.Context, app string) ([]Runner, []Rejection, error) {
	var caps []string
	if app = strings.TrimSpace(app); app != "" {
		caps = []string{app}
	}
	list, err := s.s.DiscoverOrchestrators(ctx, caps)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, o := range list {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, _ := json.Marshal(struct {
			Address string          `json:"address"`
			Runners json.RawMessage `json:"runners,omitempty"`
		}{o.Address, o.Runners})
		buf.Write(b)
	}
	buf.WriteByte(']')
	return decodeEntries(buf.Bytes(), 0) // the signer's latency says nothing about an orchestrator's
}

// EndpointSource reads runner records from a discovery endpoint answering
// in the shape of /discover-orchestrators ([{"address", "runners"}]).
type EndpointSource struct {
	u       *url.URL
	headers http.Header
	hc      Doer
	timeout time.Duration
}

// FromEndpoint returns a Source over the endpoint at rawURL (http or
// https). headers go with every request; hc sends them; timeout bounds one
// (0: DefaultRequestTimeout). A bad URL gives a *livepeer.ConfigError.
func FromEndpoint(rawURL string, headers map[string]string, hc Doer, timeout time.Duration) (*EndpointSource, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &lperr.ConfigError{Field: "URL", Reason: fmt.Sprintf("%q is not an absolute http(s) URL", rawURL)}
	}
	e := &EndpointSource{u: u, headers: http.Header{}, hc: hc, timeout: timeout}
	for k, v := range headers {
		e.headers.Set(k, v)
	}
	if e.timeout <= 0 {
		e.timeout = DefaultRequestTimeout
	}
	return e, nil
}

// String returns the endpoint URL without credentials or query.
func (e *EndpointSource) String() string {
	u := *e.u
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// Runners GETs the endpoint (with caps=app when app is set). Errors wrap
// livepeer.ErrDiscoveryUnavailable for transport errors and 5xx.
func (e *EndpointSource) Runners(ctx context.Context, app string) ([]Runner, []Rejection, error) {
	u := *e.u
	if app = strings.TrimSpace(app); app != "" {
		q := u.RawQuery
		if q != "" {
			q += "&"
		}
		u.RawQuery = q + "caps=" + strings.ReplaceAll(url.QueryEscape(app), "%2F", "/")
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range e.headers {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := e.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("liverunner: discovery %s: %w: %w", e, discovery.ErrDiscoveryUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var kind error
		if resp.StatusCode >= 500 {
			kind = discovery.ErrDiscoveryUnavailable
		}
		return nil, nil, lperr.ReadAPIError("discovery", resp, kind)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("liverunner: discovery %s: %w: %w", e, discovery.ErrDiscoveryUnavailable, err)
	}
	if len(body) > maxDiscoveryBody {
		return nil, nil, fmt.Errorf("liverunner: discovery answer of %s larger than %d bytes", e, maxDiscoveryBody)
	}
	return decodeEntries(body, time.Since(start))
}
