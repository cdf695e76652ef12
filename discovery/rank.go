package discovery

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Rank filters and orders GetOrchestrator answers for a job that wants
// capability want (nil: no capability filter) at no more than maxPrice wei
// per unit (nil: no ceiling).
//
// An answer is rejected when it has no transcoder URI
// (livepeer.ErrOrchestratorUnavailable), does not advertise want
// (ErrCapabilityNotOffered; see Info.HasCapability) or prices want above
// maxPrice (livepeer.ErrPriceExceeded). One exception: for a BYOC capability, an
// off-chain orchestrator that sends no capabilities_prices at all cannot
// say what it serves, so it is kept (last among equals by price); the BYOC
// job token request (/process/token) decides. The rest are ordered cheapest first (price of
// want as Info.PriceFor gives it, or the base price without want; an unknown
// price, as off-chain orchestrators send, counts as zero and is never above
// the ceiling), then fastest GetOrchestrator answer first, then input order.
// Rank does not change its inputs.
func Rank(infos []*Info, want *Capability, maxPrice *big.Rat) (ranked []*Info, rejections []Rejection) {
	type cand struct {
		info  *Info
		price *big.Rat
		idx   int
	}
	cands := make([]cand, 0, len(infos))
	for idx, in := range infos {
		if in == nil {
			continue
		}
		if in.Transcoder == "" {
			rejections = append(rejections, Rejection{Orchestrator: in.Addr,
				Err: fmt.Errorf("%w: no transcoder URI in its answer", lperr.ErrOrchestratorUnavailable)})
			continue
		}
		unknownBYOC := want != nil && want.IsBYOC() && len(in.CapabilityPrices) == 0 && !in.Onchain()
		if want != nil && !unknownBYOC && !in.HasCapability(*want) {
			rejections = append(rejections, Rejection{Orchestrator: in.Addr,
				Err: fmt.Errorf("%w: %s", ErrCapabilityNotOffered, want)})
			continue
		}
		price := new(big.Rat)
		var p *Price
		if want != nil {
			p, _ = in.PriceFor(*want)
		} else {
			p = in.Price
		}
		if p != nil {
			price = p.Rat()
		}
		if p != nil && maxPrice != nil && price.Cmp(maxPrice) > 0 {
			rejections = append(rejections, Rejection{Orchestrator: in.Addr,
				Err: fmt.Errorf("%w: %s wei per unit, ceiling %s", lperr.ErrPriceExceeded, price.RatString(), maxPrice.RatString())})
			continue
		}
		cands = append(cands, cand{in, price, idx})
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if c := cands[a].price.Cmp(cands[b].price); c != 0 {
			return c < 0
		}
		if cands[a].info.Latency != cands[b].info.Latency {
			return cands[a].info.Latency < cands[b].info.Latency
		}
		return cands[a].idx < cands[b].idx
	})
	ranked = make([]*Info, len(cands))
	for i, c := range cands {
		ranked[i] = c.info
	}
	return ranked, rejections
}
