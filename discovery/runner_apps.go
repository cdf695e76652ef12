package discovery

import (
	"encoding/json"
	"slices"
	"strings"
)

// RunnerServes reports whether one of the live-runner records of a
// discovery entry (its raw "runners" array) has app key ("pipeline/model").
// go-livepeer's remote discovery (server/remote_discovery.go
// mergeDiscoveryRunners) adds each runner's app to its address's
// capability list, so a caps= filter returns an address that may serve
// key only through a runner, which GetOrchestrator knows nothing about:
// such an entry is no evidence for GetOrchestrator and is left out of the
// addresses a caps= query gives (the live-runner path serves it). An
// address serving key both ways is left out too: the listing cannot tell
// them apart.
func RunnerServes(runners json.RawMessage, key string) bool {
	if len(runners) == 0 || key == "" {
		return false
	}
	var rs []struct {
		App string `json:"app"`
	}
	if json.Unmarshal(runners, &rs) != nil {
		return false
	}
	return slices.ContainsFunc(rs, func(r struct {
		App string `json:"app"`
	}) bool {
		return strings.TrimSpace(r.App) == key
	})
}

// decodeAddressesFor is DecodeAddresses without the entries whose listing
// of one of keys comes from their runners (RunnerServes).
func decodeAddressesFor(body []byte, keys []string) ([]string, error) {
	addrs, err := DecodeAddresses(body)
	if err != nil || len(keys) == 0 {
		return addrs, err
	}
	var entries []struct {
		Address string          `json:"address"`
		Runners json.RawMessage `json:"runners"`
	}
	if json.Unmarshal(body, &entries) != nil {
		return addrs, nil
	}
	drop := map[string]bool{}
	for _, e := range entries {
		for _, k := range keys {
			if RunnerServes(e.Runners, k) {
				drop[strings.TrimSpace(e.Address)] = true
			}
		}
	}
	if len(drop) == 0 {
		return addrs, nil
	}
	out := addrs[:0]
	for _, a := range addrs {
		if !drop[a] {
			out = append(out, a)
		}
	}
	return out, nil
}
