package signer

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/livepeer/livepeer-go/internal/lperr"
)

// Endpoint paths, relative to a signer base URL.
const (
	pathSignOrchInfo = "sign-orchestrator-info"
	pathLivePayment  = "generate-live-payment"
	pathSignBYOC     = "sign-byoc-job"
	pathDiscover     = "discover-orchestrators"
)

var knownEndpoints = []string{pathSignOrchInfo, pathLivePayment, pathSignBYOC, pathDiscover}

// parseBase validates one signer URL and returns its base (path kept, any
// trailing endpoint name and slash removed). A missing scheme means https.
func parseBase(field, raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, &lperr.ConfigError{Field: field, Reason: "empty signer URL"}
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, &lperr.ConfigError{Field: field, Reason: "not a URL", Err: err}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &lperr.ConfigError{Field: field, Reason: fmt.Sprintf("scheme %q not supported (use http or https)", u.Scheme)}
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, &lperr.ConfigError{Field: field, Reason: "missing host"}
	}
	if u.Fragment != "" {
		return nil, &lperr.ConfigError{Field: field, Reason: "a signer URL cannot have a #fragment"}
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

// redacted is the URL as shown in errors, results and logs.
func redacted(u *url.URL) string {
	v := *u
	v.RawQuery = ""
	return v.Redacted()
}
