package signer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// Orchestrator is one entry of a signer's discovery answer.
type Orchestrator struct {
	Address      string   // orchestrator URL
	Score        float64  // legacy webhook score
	Capabilities []string // "pipeline/model" keys
	// Runners is the raw "runners" array (live runners), when present.
	Runners json.RawMessage
}

// DiscoverOrchestrators lists the orchestrators the signer knows
// (GET /discover-orchestrators, only on signers started with
// -remoteDiscovery), filtered by caps ("pipeline/model", OR-ed; none = all).
// Order is kept; entries without an address are dropped. Off-chain it
// returns an *Error wrapping ErrNoSigner. A 404/405 means the signer does
// not run discovery; 503 ("cache empty") counts as unavailable. A body that
// is not a JSON list gives a *DecodeError. Safe for concurrent use.
func (c *Client) DiscoverOrchestrators(ctx context.Context, caps []string) ([]Orchestrator, error) {
	if c.Offchain() {
		return nil, &Error{Op: pathDiscover, Kind: ErrNoSigner, Hint: "configure orchestrators or a discovery URL"}
	}
	var q url.Values
	for _, cp := range caps {
		if cp = strings.TrimSpace(cp); cp != "" {
			if q == nil {
				q = url.Values{}
			}
			q.Add("caps", cp)
		}
	}
	a, err := c.call(ctx, pathDiscover, http.MethodGet, q, nil)
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		e := classify(pathDiscover, a, false).(*Error)
		if a.status == http.StatusNotFound || a.status == http.StatusMethodNotAllowed {
			e.Hint = "the signer does not serve discovery (start it with -remoteDiscovery) or configure a discovery URL"
		}
		return nil, e
	}
	list, err := DecodeOrchestrators(a.body)
	if err != nil {
		return nil, &Error{Op: pathDiscover, Signer: a.signer, Tried: 1, Err: err, Hint: hintBadAnswer}
	}
	return list, nil
}

// DecodeOrchestrators parses a discovery answer: a JSON list of
// {"address","score","capabilities","runners"}. Elements that are not
// objects, or have no string address, are skipped; order is kept. A body
// that is not a list gives a *DecodeError.
func DecodeOrchestrators(body []byte) ([]Orchestrator, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, &DecodeError{Op: pathDiscover, Reason: "not a JSON list", Body: truncBody(body), Err: err}
	}
	out := make([]Orchestrator, 0, len(items))
	for _, it := range items {
		var e struct {
			Address      string          `json:"address"`
			Score        json.RawMessage `json:"score"`
			Capabilities json.RawMessage `json:"capabilities"`
			Runners      json.RawMessage `json:"runners"`
		}
		if json.Unmarshal(it, &e) != nil {
			continue
		}
		addr := strings.TrimSpace(e.Address)
		if addr == "" {
			continue
		}
		o := Orchestrator{Address: addr}
		_ = json.Unmarshal(e.Score, &o.Score) // a missing or odd score is 0
		var capsList []any
		if json.Unmarshal(e.Capabilities, &capsList) == nil {
			for _, v := range capsList {
				if s, ok := v.(string); ok && s != "" {
					o.Capabilities = append(o.Capabilities, s)
				}
			}
		}
		if r := []byte(e.Runners); len(r) > 0 && r[0] == '[' {
			o.Runners = append(json.RawMessage(nil), r...)
		}
		out = append(out, o)
	}
	return out, nil
}

// Source is a discovery.Source backed by a remote signer's
// GET /discover-orchestrators (go-livepeer signers serve it only with
// -remoteDiscovery). Its calls carry the signer headers.
type Source struct{ c *Client }

// NewSource returns a Source over c.
func NewSource(c *Client) *Source { return &Source{c: c} }

// Orchestrators returns the signer's list for want, in the signer's order.
// The request carries one caps=pipeline/model parameter for want (none
// without a model; see discovery.DiscoveryKeys). An address the signer
// lists for want only because one of its live runners has that app is
// left out (see discovery.RunnerServes): GetOrchestrator would be asked
// for a capability only a runner serves. Errors are the Client's
// (*Error; errors.Is(err, livepeer.ErrSignerUnavailable) when it is down).
func (s *Source) Orchestrators(ctx context.Context, want *discovery.Capability) ([]string, error) {
	var keys []string
	if want != nil {
		keys = discovery.DiscoveryKeys(*want)
	}
	list, err := s.c.DiscoverOrchestrators(ctx, keys)
	if err != nil {
		return nil, err
	}
	addrs := make([]string, 0, len(list))
next:
	for _, o := range list {
		for _, k := range keys {
			if discovery.RunnerServes(o.Runners, k) {
				continue next // listed for a runner's app: not a GetOrchestrator capability
			}
		}
		addrs = append(addrs, o.Address)
	}
	return addrs, nil
}

// String returns "signer discovery <url>".
func (s *Source) String() string {
	urls := s.c.URLs()
	if len(urls) == 0 {
		return "signer discovery (off-chain)"
	}
	return "signer discovery " + urls[0]
}
