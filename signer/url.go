package signer

import (
	"net/url"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/httpx"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Endpoint paths, relative to a signer base URL.
const (
	pathSignOrchInfo = "sign-orchestrator-info"
	pathLivePayment  = "generate-live-payment"
	pathSignBYOC     = "sign-byoc-job"
	pathDiscover     = "discover-orchestrators"
)

var knownEndpoints = []string{pathSignOrchInfo, pathLivePayment, pathSignBYOC, pathDiscover}

// parseBase validates one signer URL (internal/httpx.ParseURL: a missing
// scheme means https) and returns its base: path kept, a trailing endpoint
// name and slash removed, so ".../generate-live-payment" also works.
func parseBase(field, raw string) (*url.URL, error) {
	if strings.Contains(raw, "#") {
		return nil, &lperr.ConfigError{Field: field, Reason: "a signer URL cannot have a #fragment"}
	}
	u, err := httpx.ParseURL(field, raw)
	if err != nil {
		return nil, err
	}
	p := strings.TrimRight(u.Path, "/")
	for _, ep := range knownEndpoints {
		if p == "/"+ep || strings.HasSuffix(p, "/"+ep) {
			p = strings.TrimSuffix(p, "/"+ep)
			break
		}
	}
	u.Path, u.RawPath = p, ""
	return u, nil
}

// endpoint joins base and an endpoint name, keeping the base's path and query.
func endpoint(base *url.URL, name string) *url.URL {
	u := *base
	u.Path = strings.TrimRight(base.Path, "/") + "/" + name
	u.RawPath = ""
	return &u
}
