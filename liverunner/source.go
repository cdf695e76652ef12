package liverunner

import (
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
