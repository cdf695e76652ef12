package discovery

import (
	"fmt"
	"math/big"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// Price is an orchestrator price: PricePerUnit wei per PixelsPerUnit units.
// The unit is a pixel for transcoding and LV2V and a second of compute for
// BYOC. A PixelsPerUnit of zero or less is read as 1, as the Python SDK
// displays it (go-livepeer never sends one).
type Price struct {
	PricePerUnit  int64
	PixelsPerUnit int64
}

// Rat returns the price per unit in wei as a new rational.
func (p Price) Rat() *big.Rat {
	d := p.PixelsPerUnit
	if d <= 0 {
		d = 1
	}
	return big.NewRat(p.PricePerUnit, d)
}

// Cmp compares p and q by value per unit: -1, 0 or +1.
func (p Price) Cmp(q Price) int { return p.Rat().Cmp(q.Rat()) }

// String prints "<price>/<units> wei".
func (p Price) String() string {
	d := p.PixelsPerUnit
	if d <= 0 {
		d = 1
	}
	return fmt.Sprintf("%d/%d wei", p.PricePerUnit, d)
}

// CapabilityPrice is one entry of OrchestratorInfo.capabilities_prices: the
// price of one capability and model (for BYOC, Capability.Model is the BYOC
// capability name).
type CapabilityPrice struct {
	Capability Capability
	Price      Price
}

// Model is one per-capability model an orchestrator advertises
// (capabilities.constraints.PerCapability[id].models[model]). For LV2V the
// orchestrator reports its idle containers in Capacity and its busy ones in
// CapacityInUse.
type Model struct {
	Capability    Capability
	Warm          bool
	Capacity      uint32
	CapacityInUse uint32
	RunnerVersion string
}

// Info is one orchestrator's GetOrchestrator answer, decoded. It is
// immutable after construction and safe for concurrent use; Proto returns
// the raw message, which must not be changed.
type Info struct {
	// Addr is the address the orchestrator was queried at (as given).
	Addr string
	// Transcoder is the orchestrator's advertised service URI: every HTTP
	// endpoint (LV2V start, /payment, BYOC, trickle) is relative to it.
	Transcoder string
	// Address is the orchestrator's Ethereum address (zero off-chain).
	Address eth.Address
	// Price is price_info: the base price, or the price of the requested
	// capability when Requested is set. nil off-chain.
	Price *Price
	// CapabilityPrices lists capabilities_prices (only sent when the request
	// carried no capabilities).
	CapabilityPrices []CapabilityPrice
	// Capabilities lists the ids set in the capability bitstring, ascending.
	Capabilities []CapabilityID
	// Models lists the per-capability models, sorted by id then model.
	Models []Model
	// Version is the orchestrator's software version (capabilities.version).
	Version string
	// Nodes lists extra node URIs the orchestrator advertises.
	Nodes []string
	// AuthExpiry is when the auth token expires (zero without a token).
	AuthExpiry time.Time
	// Requested is the capability sent in the request (nil: none).
	Requested *Capability
	// Latency is how long GetOrchestrator took (zero for NewInfo).
	Latency time.Duration
	// FetchedAt is when the answer arrived (zero for NewInfo).
	FetchedAt time.Time

	pb *lpnet.OrchestratorInfo
}

// NewInfo decodes pb, the answer of the orchestrator queried at addr. pb is
// kept, not copied: the caller must not change it afterwards. A nil pb gives
// an Info with only Addr set.
func NewInfo(addr string, pb *lpnet.OrchestratorInfo) *Info {
	if pb == nil {
		pb = &lpnet.OrchestratorInfo{}
	}
	i := &Info{Addr: addr, Transcoder: pb.GetTranscoder(), pb: pb}
	i.Address = eth.BytesToAddress(pb.GetAddress())
	if p := pb.GetPriceInfo(); p != nil {
		i.Price = &Price{PricePerUnit: p.GetPricePerUnit(), PixelsPerUnit: p.GetPixelsPerUnit()}
	}
	for _, cp := range pb.GetCapabilitiesPrices() {
		if cp == nil {
			continue
		}
		i.CapabilityPrices = append(i.CapabilityPrices, CapabilityPrice{
			Capability: Capability{ID: CapabilityID(cp.GetCapability()), Model: cp.GetConstraint()},
			Price:      Price{PricePerUnit: cp.GetPricePerUnit(), PixelsPerUnit: cp.GetPixelsPerUnit()},
		})
	}
	caps := pb.GetCapabilities()
	i.Capabilities = bitsToIDs(caps.GetBitstring())
	i.Version = caps.GetVersion()
	for id, cc := range caps.GetConstraints().GetPerCapability() {
		for name, m := range cc.GetModels() {
			i.Models = append(i.Models, Model{
				Capability:    Capability{ID: CapabilityID(id), Model: name},
				Warm:          m.GetWarm(),
				Capacity:      m.GetCapacity(),
				CapacityInUse: m.GetCapacityInUse(),
				RunnerVersion: m.GetRunnerVersion(),
			})
		}
	}
	sort.Slice(i.Models, func(a, b int) bool {
		ma, mb := i.Models[a].Capability, i.Models[b].Capability
		if ma.ID != mb.ID {
			return ma.ID < mb.ID
		}
		return ma.Model < mb.Model
	})
	i.Nodes = append([]string(nil), pb.GetNodes()...)
	if exp := pb.GetAuthToken().GetExpiration(); exp > 0 {
		i.AuthExpiry = time.Unix(exp, 0)
	}
	return i
}

// Proto returns the raw OrchestratorInfo, exactly as the orchestrator sent
// it (the remote signer needs it verbatim). It must not be changed.
func (i *Info) Proto() *lpnet.OrchestratorInfo { return i.pb }

// Marshal returns the protobuf encoding of the raw OrchestratorInfo (what
// the remote signer's /generate-live-payment takes, base64-encoded).
func (i *Info) Marshal() ([]byte, error) { return proto.Marshal(i.pb) }

// Onchain reports whether the orchestrator sent ticket parameters (it
// expects payments). Off-chain orchestrators send none.
func (i *Info) Onchain() bool { return i.pb.GetTicketParams() != nil }

// HasCapability reports whether the orchestrator advertises c:
//   - BYOC (37): a capabilities_prices entry {37, c.Model} (go-livepeer
//     master advertises BYOC capabilities nowhere else); a BYOC capability
//     without a name matches any BYOC entry;
//   - with a model: constraints.PerCapability[c.ID].models[c.Model];
//   - without a model: bit c.ID in the bitstring, or any model of c.ID.
func (i *Info) HasCapability(c Capability) bool {
	switch {
	case c.ID == CapBYOC:
		for _, cp := range i.CapabilityPrices {
			if cp.Capability.ID == CapBYOC && (c.Model == "" || cp.Capability.Model == c.Model) {
				return true
			}
		}
		return false
	case c.Model != "":
		_, ok := i.Model(c)
		return ok
	default:
		if hasBit(i.pb.GetCapabilities().GetBitstring(), c.ID) {
			return true
		}
		for _, m := range i.Models {
			if m.Capability.ID == c.ID {
				return true
			}
		}
		return false
	}
}

// Model returns the advertised model constraint for c (c.Model must be set).
func (i *Info) Model(c Capability) (Model, bool) {
	for _, m := range i.Models {
		if m.Capability == c {
			return m, true
		}
	}
	return Model{}, false
}

// PriceFor returns the orchestrator's price for c: the capabilities_prices
// entry for (c.ID, c.Model) when there is one; otherwise price_info when
// the answer was requested for c (*Requested == c). ok is false when the
// price is unknown (off-chain orchestrators send no prices). The base price
// is Price.
func (i *Info) PriceFor(c Capability) (*Price, bool) {
	for _, cp := range i.CapabilityPrices {
		if cp.Capability == c {
			p := cp.Price
			return &p, true
		}
	}
	if i.Price != nil && i.Requested != nil && *i.Requested == c {
		p := *i.Price
		return &p, true
	}
	return nil, false
}

// String returns "addr (transcoder)".
func (i *Info) String() string {
	if i.Transcoder == "" || i.Transcoder == i.Addr {
		return i.Addr
	}
	return i.Addr + " (" + i.Transcoder + ")"
}
