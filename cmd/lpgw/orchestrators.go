package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

const orchestratorsAbout = `Lists the orchestrators the network's discovery finds, ranked by price then
latency: each one's address, GetOrchestrator latency and, per capability,
its price and capacity. --capability keeps the orchestrators offering one
capability (and asks them for that capability's price); --json prints the
same as a JSON array for scripts. Orchestrator addresses may be given as
arguments.`

// orchRow is one orchestrator as listed (and as --json prints it).
type orchRow struct {
	Address      string   `json:"address"`
	URL          string   `json:"url"`
	EthAddress   string   `json:"eth_address,omitempty"`
	LatencyMS    float64  `json:"latency_ms"`
	Version      string   `json:"version,omitempty"`
	Capabilities []capRow `json:"capabilities"`
	latency      time.Duration
}

// capRow is one capability of an orchestrator.
type capRow struct {
	Name          string `json:"name"`
	PricePerUnit  int64  `json:"price_per_unit,omitempty"` // wei per PixelsPerUnit units; absent off-chain
	PixelsPerUnit int64  `json:"pixels_per_unit,omitempty"`
	Unit          string `json:"unit"`               // what one unit is: pixel, second, token...
	Capacity      uint32 `json:"capacity,omitempty"` // advertised for AI and LV2V models
	InUse         uint32 `json:"in_use,omitempty"`
	priced        bool
}

func (c *cli) orchestrators(ctx context.Context, args []string) error {
	fs := c.newFlagSet("orchestrators", "[flags] [address ...]", orchestratorsAbout)
	var nf netFlags
	nf.register(fs)
	capability := fs.String("capability", "", "only orchestrators offering this `capability` (pipeline/model or byoc/NAME)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	addrs, err := c.parseFlags(fs, args)
	if err != nil {
		return helpOr(err)
	}
	ctx, cancel := nf.bound(ctx)
	defer cancel()
	env, err := c.open(ctx, &nf, addrs)
	if err != nil {
		return finish(ctx, err)
	}
	defer env.Close()
	infos, err := env.gw.Orchestrators(ctx, *capability)
	if err != nil {
		return finish(ctx, err)
	}
	var want *discovery.Capability
	if *capability != "" {
		wc, err := discovery.ParseCapability(*capability)
		if err != nil {
			return err
		}
		want = &wc
	}
	rows := make([]orchRow, 0, len(infos))
	for _, in := range infos {
		rows = append(rows, orchestratorRow(in, want))
	}
	if *asJSON {
		return printJSON(c.stdout, rows)
	}
	printOrchestrators(c.stdout, rows)
	return nil
}

// orchestratorRow lists what in advertises: its models (LV2V, AI) and its
// priced capabilities (BYOC is advertised only in capabilities_prices,
// go-livepeer byoc/), filtered to want when set.
func orchestratorRow(in *discovery.Info, want *discovery.Capability) orchRow {
	r := orchRow{Address: in.Addr, URL: in.Transcoder, LatencyMS: float64(in.Latency.Microseconds()) / 1000,
		Version: in.Version, latency: in.Latency}
	if !in.Address.IsZero() {
		r.EthAddress = in.Address.Hex()
	}
	seen := map[string]int{}
	add := func(c discovery.Capability) *capRow {
		name := c.String()
		if i, ok := seen[name]; ok {
			return &r.Capabilities[i]
		}
		row := capRow{Name: name, Unit: priceUnit(c)}
		if p, ok := in.PriceFor(c); ok && p != nil {
			row.PricePerUnit, row.PixelsPerUnit, row.priced = p.PricePerUnit, max(p.PixelsPerUnit, 1), true
		}
		seen[name] = len(r.Capabilities)
		r.Capabilities = append(r.Capabilities, row)
		return &r.Capabilities[len(r.Capabilities)-1]
	}
	match := func(c discovery.Capability) bool {
		return want == nil || (c.ID == want.ID && (want.Model == "" || c.Model == want.Model))
	}
	for _, m := range in.Models {
		if match(m.Capability) {
			row := add(m.Capability)
			row.Capacity, row.InUse = m.Capacity, m.CapacityInUse
		}
	}
	for _, cp := range in.CapabilityPrices {
		if match(cp.Capability) {
			add(cp.Capability)
		}
	}
	if want != nil && want.Model != "" && len(r.Capabilities) == 0 {
		add(*want) // asked for by name: its price is price_info
	}
	slices.SortFunc(r.Capabilities, func(a, b capRow) int { return strings.Compare(a.Name, b.Name) })
	return r
}

// priceUnit names what one priced unit is for c (the units go-livepeer's
// handleAIRequest charges, server/ai_http.go; BYOC prices seconds).
func priceUnit(c discovery.Capability) string {
	switch c.ID {
	case discovery.CapBYOC:
		return "second"
	case discovery.CapLLM:
		return "token"
	case discovery.CapAudioToText:
		return "ms of audio"
	case discovery.CapTextToSpeech:
		return "1/1000 character"
	case discovery.CapLiveVideoToVideo, discovery.CapTextToImage, discovery.CapImageToImage, discovery.CapImageToVideo,
		discovery.CapUpscale, discovery.CapSegmentAnything2, discovery.CapImageToText:
		return "pixel"
	}
	return "unit"
}

func (r capRow) price() string {
	if !r.priced {
		return "free (off-chain)"
	}
	if r.PixelsPerUnit > 1 {
		return fmt.Sprintf("%d wei / %d %s", r.PricePerUnit, r.PixelsPerUnit, r.Unit)
	}
	return fmt.Sprintf("%d wei / %s", r.PricePerUnit, r.Unit)
}

func (r capRow) capacity() string {
	if r.Capacity == 0 && r.InUse == 0 {
		return "-"
	}
	return fmt.Sprintf("%d free, %d busy", r.Capacity, r.InUse)
}

// printOrchestrators prints one block per orchestrator: its first line has
// the address and latency, the rest one capability each.
func printOrchestrators(w io.Writer, rows []orchRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tLATENCY\tCAPABILITY\tPRICE\tCAPACITY")
	for _, r := range rows {
		lat := r.latency.Round(100 * time.Microsecond).String()
		if len(r.Capabilities) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\n", r.Address, lat)
		}
		for i, c := range r.Capabilities {
			addr := r.Address
			if i > 0 {
				addr, lat = "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", addr, lat, c.Name, c.price(), c.capacity())
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d orchestrator(s)\n", len(rows))
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
