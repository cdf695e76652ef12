package liverunner

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ErrFiltered reports a runner a Filter left out (errors.Is on the
// rejection; livepeer.ErrPriceExceeded instead for a price above the
// ceiling).
var ErrFiltered = errors.New("liverunner: runner does not match the filter")

// Filter selects runners. The zero value keeps every runner.
type Filter struct {
	// App keeps the runners of this app only (exact match). Runners of
	// other apps are dropped without a rejection: the app is what is asked
	// for, as a capability is.
	App string
	// Mode keeps persistent or single-shot runners only ("" both).
	Mode Mode
	// Version keeps runners of this version: an exact match, or a prefix
	// when it ends in "*" ("serverless*").
	Version string
	// GPU keeps runners whose GPU name contains it (case-insensitive).
	GPU string
	// MinVRAMMB keeps runners advertising at least this much GPU memory.
	MinVRAMMB int
	// MinAvailable keeps runners with at least this many free session
	// slots in their discovery record (0: no capacity filter; the record is
	// a snapshot, and a full runner answers 503 anyway).
	MinAvailable int
	// MaxPrice keeps runners priced at most this, in wei per MaxPrice.Unit;
	// a runner priced in another unit is left out. Unpriced (off-chain)
	// runners are kept. The ceiling also goes to the signer as maxPrice.
	MaxPrice *Price
}

// match returns nil when r passes f, else why not.
func (f Filter) match(r Runner) error {
	if f.Mode != "" && r.Mode != f.Mode {
		return fmt.Errorf("%w: mode %s, want %s", ErrFiltered, r.Mode, f.Mode)
	}
	if v := f.Version; v != "" {
		if p, ok := strings.CutSuffix(v, "*"); ok {
			if !strings.HasPrefix(r.Version, p) {
				return fmt.Errorf("%w: version %q, want %s", ErrFiltered, r.Version, v)
			}
		} else if r.Version != v {
			return fmt.Errorf("%w: version %q, want %q", ErrFiltered, r.Version, v)
		}
	}
	if g := strings.ToLower(strings.TrimSpace(f.GPU)); g != "" {
		if r.GPU == nil || !strings.Contains(strings.ToLower(r.GPU.Name), g) {
			return fmt.Errorf("%w: GPU %s, want %q", ErrFiltered, gpuName(r.GPU), f.GPU)
		}
	}
	if f.MinVRAMMB > 0 && (r.GPU == nil || r.GPU.VRAMMB < f.MinVRAMMB) {
		vram := 0
		if r.GPU != nil {
			vram = r.GPU.VRAMMB
		}
		return fmt.Errorf("%w: %d MB of VRAM, want %d", ErrFiltered, vram, f.MinVRAMMB)
	}
	if f.MinAvailable > 0 && r.CapacityAvailable < f.MinAvailable {
		return fmt.Errorf("%w: %d of %d sessions free, want %d", ErrFiltered, r.CapacityAvailable, r.Capacity, f.MinAvailable)
	}
	if m := f.MaxPrice; m != nil && m.Wei != nil && r.Price != nil {
		if !strings.EqualFold(m.Unit, r.Price.Unit) {
			return fmt.Errorf("%w: priced per %s, the ceiling is per %s", lperr.ErrPriceExceeded, r.Price.Unit, m.Unit)
		}
		if r.Price.Wei.Cmp(m.Wei) > 0 {
			return fmt.Errorf("%w: %s, ceiling %s", lperr.ErrPriceExceeded, r.Price, m)
		}
	}
	return nil
}

func gpuName(g *GPU) string {
	if g == nil || g.Name == "" {
		return "(none)"
	}
	return g.Name
}

// Rank filters runners with f and orders the rest: runners with a free
// session slot first (a full one answers 503), then cheapest (an unpriced,
// off-chain runner counts as free), then fastest discovery answer, then
// input order. It returns why each runner of f.App was left out (runners
// of other apps are dropped silently). Rank does not change its input.
func Rank(runners []Runner, f Filter) (ranked []Runner, rejections []Rejection) {
	type cand struct {
		r   Runner
		idx int
	}
	var cands []cand
	for i, r := range runners {
		if f.App != "" && r.App != f.App {
			continue
		}
		if err := f.match(r); err != nil {
			rejections = append(rejections, Rejection{Orchestrator: r.URL, Err: err})
			continue
		}
		cands = append(cands, cand{r, i})
	}
	zero := new(big.Rat)
	price := func(r Runner) *big.Rat {
		if r.Price == nil || r.Price.Wei == nil {
			return zero
		}
		return r.Price.Wei
	}
	sort.SliceStable(cands, func(a, b int) bool {
		ra, rb := cands[a].r, cands[b].r
		if fa, fb := ra.CapacityAvailable > 0, rb.CapacityAvailable > 0; fa != fb {
			return fa
		}
		if c := price(ra).Cmp(price(rb)); c != 0 {
			return c < 0
		}
		if ra.Latency != rb.Latency {
			return ra.Latency < rb.Latency
		}
		return cands[a].idx < cands[b].idx
	})
	ranked = make([]Runner, len(cands))
	for i, c := range cands {
		ranked[i] = c.r
	}
	return ranked, rejections
}
