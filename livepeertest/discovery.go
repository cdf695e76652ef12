package livepeertest

import (
	"net/http"
	"slices"
)

// discoveryEntry is one element of a go-livepeer /discover-orchestrators answer.
type discoveryEntry struct {
	Address      string   `json:"address,omitempty"`
	Score        float32  `json:"score,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	// Runners are the orchestrator's live runners (see withRunners).
	Runners []DiscoveryRunner `json:"runners,omitempty"`
}

// discoveryHandler serves GET → JSON list of the orchestrators that list() returns,
// filtered by the repeated ?caps=pipeline/model query (an orchestrator matches if
// it serves any of them). With no orchestrators at all it answers 503, as
// go-livepeer does while its cache is empty.
func discoveryHandler(list func() []discoveryEntry) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		all := list()
		if len(all) == 0 {
			writeJSONError(w, http.StatusServiceUnavailable, "cache empty")
			return
		}
		var want []string
		for _, c := range r.URL.Query()["caps"] {
			if c != "" {
				want = append(want, c)
			}
		}
		out := make([]discoveryEntry, 0, len(all))
		for _, e := range all {
			if len(want) == 0 || slices.ContainsFunc(want, func(c string) bool { return slices.Contains(e.Capabilities, c) }) {
				out = append(out, e)
			}
		}
		writeJSON(w, out)
	}
}

// discoveryEntry describes o as go-livepeer's remote discovery does: its
// service URL, the trusted score 1 and its "pipeline/model" capabilities.
func (o *Orchestrator) discoveryEntry() discoveryEntry {
	return discoveryEntry{Address: o.URL(), Score: 1, Capabilities: discoveryNames(o.caps)}
}
