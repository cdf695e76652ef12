package livepeertest

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// Capability ids used here (go-livepeer core/capabilities.go).
const (
	capLiveVideoToVideo = 35
	capBYOC             = 37
)

// pipelineIDs maps go-livepeer pipeline names (lower-case, "-" separated) to capability ids.
var pipelineIDs = map[string]uint32{
	"text-to-image":       27,
	"image-to-image":      28,
	"image-to-video":      29,
	"upscale":             30,
	"audio-to-text":       31,
	"segment-anything-2":  32,
	"llm":                 33,
	"image-to-text":       34,
	"live-video-to-video": capLiveVideoToVideo,
	"text-to-speech":      36,
	"byoc":                capBYOC,
}

// defaultTranscodeCaps are go-livepeer's DefaultCapabilities (bits 0-12, 14, 26),
// which every orchestrator advertises with capacity 1.
var defaultTranscodeCaps = []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 26}

// CapabilitySpec describes one capability an orchestrator serves.
type CapabilitySpec struct {
	// Name is "pipeline/model", for example "live-video-to-video/streamdiffusion",
	// or "byoc/<capability name>" for a BYOC capability.
	Name string
	// PricePerUnit and PixelsPerUnit give the price in wei per PixelsPerUnit units:
	// per pixel for AI pipelines, per second for BYOC (PixelsPerUnit 0 means 1).
	PricePerUnit  int64
	PixelsPerUnit int64
	// Capacity is how many concurrent jobs (containers) the orchestrator has; 0 means 1.
	Capacity int
}

// DefaultCapabilities returns the capabilities a network serves when the
// configuration names none: three LV2V models, one BYOC capability and
// DefaultAICapabilities (one toy model per built-in batch AI pipeline).
func DefaultCapabilities() []CapabilitySpec {
	return append([]CapabilitySpec{
		{Name: "live-video-to-video/streamdiffusion", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: 4},
		{Name: "live-video-to-video/streamdiffusion-sdxl", PricePerUnit: 2, PixelsPerUnit: 1, Capacity: 4},
		{Name: "live-video-to-video/noop", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: 4},
		{Name: "byoc/text-reversal", PricePerUnit: 1000, PixelsPerUnit: 1, Capacity: 4},
	}, DefaultAICapabilities()...)
}

// capability is a validated CapabilitySpec.
type capability struct {
	name     string // full "pipeline/model"
	pipeline string
	model    string
	id       uint32
	priceP   atomic.Pointer[big.Rat] // wei per unit; replaced whole by SetPrice, never changed in place
	capacity int
}

// price returns the capability's current price (wei per unit). The value
// is shared: do not change it.
func (c *capability) price() *big.Rat { return c.priceP.Load() }

func parseCapabilities(specs []CapabilitySpec) ([]*capability, error) {
	if specs == nil {
		specs = DefaultCapabilities()
	}
	seen := map[string]bool{}
	out := make([]*capability, 0, len(specs))
	for i, s := range specs {
		pipeline, model, ok := strings.Cut(s.Name, "/")
		id, known := pipelineIDs[pipeline]
		if !ok || model == "" || !known {
			return nil, fmt.Errorf("livepeertest: Capabilities[%d]: name %q is not a known \"pipeline/model\": %w", i, s.Name, lperr.ErrInvalidConfig)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("livepeertest: Capabilities[%d]: duplicate %q: %w", i, s.Name, lperr.ErrInvalidConfig)
		}
		seen[s.Name] = true
		if s.PricePerUnit < 0 || s.PixelsPerUnit < 0 || s.Capacity < 0 {
			return nil, fmt.Errorf("livepeertest: Capabilities[%d]: negative price or capacity: %w", i, lperr.ErrInvalidConfig)
		}
		px := s.PixelsPerUnit
		if px == 0 {
			px = 1
		}
		c := s.Capacity
		if c == 0 {
			c = 1
		}
		cp := &capability{name: s.Name, pipeline: pipeline, model: model, id: id, capacity: c}
		cp.priceP.Store(big.NewRat(s.PricePerUnit, px))
		out = append(out, cp)
	}
	return out, nil
}

// priceInfo converts a non-negative rational price to go-livepeer's PriceInfo.
func priceInfo(p *big.Rat) *lpnet.PriceInfo {
	return &lpnet.PriceInfo{PricePerUnit: p.Num().Int64(), PixelsPerUnit: p.Denom().Int64()}
}

// setBit sets bit n in a go-livepeer capability bitstring.
func setBit(words []uint64, n uint32) []uint64 {
	for uint32(len(words)) <= n/64 {
		words = append(words, 0)
	}
	words[n/64] |= 1 << (n % 64)
	return words
}

func hasBit(words []uint64, n uint32) bool {
	return uint32(len(words)) > n/64 && words[n/64]&(1<<(n%64)) != 0
}

// discoveryNames returns the "pipeline/model" names go-livepeer's remote
// discovery lists for an orchestrator: models in the capability constraints
// (so BYOC capabilities, which master does not advertise there, are absent).
func discoveryNames(caps []*capability) []string {
	var names []string
	for _, c := range caps {
		if c.id != capBYOC {
			names = append(names, c.name)
		}
	}
	sort.Strings(names)
	return names
}
