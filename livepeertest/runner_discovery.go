package livepeertest

import (
	"errors"
	"math/big"
	"slices"
	"strings"
)

// withRunners merges an orchestrator's /discovery runners into its
// /discover-orchestrators entry as go-livepeer's remote discovery does
// (server/remote_discovery.go mergeDiscoveryRunners): a runner needs a URL,
// an app, valid metadata and an on-chain wei price in a known unit (so
// off-chain runners are never listed); each listed runner's app joins the
// address's capability list; runners are merged by URL, first wins.
// go-livepeer also drops runners priced above the signer's global max
// price; the in-process signer does not apply that filter.
func withRunners(e discoveryEntry, runners []DiscoveryRunner) discoveryEntry {
	seen := map[string]bool{}
	for _, r := range runners {
		if validateDiscoveryRunner(r) != nil || seen[r.URL] {
			continue
		}
		seen[r.URL] = true
		if !slices.Contains(e.Capabilities, r.App) {
			e.Capabilities = append(e.Capabilities, r.App)
		}
		e.Runners = append(e.Runners, r)
	}
	slices.Sort(e.Capabilities)
	return e
}

// validateDiscoveryRunner is go-livepeer's validateRunner + validateRunnerPrice.
func validateDiscoveryRunner(r DiscoveryRunner) error {
	if r.URL == "" {
		return errors.New("missing URL")
	}
	if strings.TrimSpace(r.App) == "" {
		return errors.New("missing app")
	}
	if err := validateRunnerMetadata(r.Metadata); err != nil {
		return err
	}
	if r.PriceInfo == nil {
		return errors.New("invalid price")
	}
	p, ok := new(big.Rat).SetString(strings.TrimSpace(r.PriceInfo.Price.String()))
	if !ok || p.Sign() <= 0 {
		return errors.New("invalid price")
	}
	if strings.ToLower(strings.TrimSpace(r.PriceInfo.Currency)) != "wei" {
		return errors.New("unsupported currency")
	}
	switch strings.ToLower(strings.TrimSpace(r.PriceInfo.Unit)) {
	case "seconds", "720p-pixel-seconds", "fixed":
		return nil
	}
	return errors.New("unsupported unit")
}
