package liverunner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

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
