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

// TicketParams are the orchestrator's terms for probabilistic-micropayment
// tickets (go-livepeer net.TicketParams): a winning ticket pays FaceValue
// wei to Recipient; a ticket wins with probability WinProb / (2^256 − 1);
// the parameters expire at L1 block ExpirationBlock. RecipientRandHash,
// Seed and the creation round bind them to the orchestrator's secret and
// the price they were issued for. Values are shared: do not change them.
type TicketParams struct {
	Recipient              eth.Address
	FaceValue              *big.Int // wei
	WinProb                *big.Int // win probability × (2^256 − 1)
	RecipientRandHash      []byte
	Seed                   []byte
	ExpirationBlock        *big.Int // L1 block number
	CreationRound          int64
	CreationRoundBlockHash []byte
}

// maxWinProb is 2^256 − 1, the WinProb of a ticket that always wins.
var maxWinProb = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// EV returns the expected value of one ticket in wei, exactly:
// FaceValue × WinProb / (2^256 − 1), as go-livepeer's pm package computes
// it. Nil params or missing values give 0.
func (t *TicketParams) EV() *big.Rat {
	if t == nil || t.FaceValue == nil || t.WinProb == nil {
		return new(big.Rat)
	}
	return new(big.Rat).SetFrac(new(big.Int).Mul(t.FaceValue, t.WinProb), maxWinProb)
}

// Info is one orchestrator's GetOrchestrator answer, decoded. It is
// immutable after construction and safe for concurrent use.
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
	// TicketParams are the orchestrator's ticket terms for this gateway
	// (nil off-chain: no payments expected).
	TicketParams *TicketParams
	// AuthExpiry is when the auth token expires (zero without a token).
	// go-livepeer's tokens live 30 minutes; payments refresh the info
	// before that.
	AuthExpiry time.Time
	// Requested is the capability sent in the request (nil: none).
	Requested *Capability
	// Latency is how long GetOrchestrator took (zero for DecodeInfo).
	Latency time.Duration
	// FetchedAt is when the answer arrived (zero for DecodeInfo).
	FetchedAt time.Time

	raw  []byte   // the protobuf encoding
	bits []uint64 // the capability bitstring
}

// DecodeInfo decodes an OrchestratorInfo protobuf (the GetOrchestrator
// answer, the info of a /payment PaymentResult, or the "orchestrator" field
// of a remote-signer request after base64 decoding) as the answer of the
// orchestrator queried at addr. Bytes that are not an OrchestratorInfo give
// an error wrapping ErrInvalidInfo. The bytes are copied.
func DecodeInfo(addr string, protobuf []byte) (*Info, error) {
	var pb lpnet.OrchestratorInfo
	if err := proto.Unmarshal(protobuf, &pb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInfo, err)
	}
	i := newInfo(addr, &pb)
	i.raw = append([]byte(nil), protobuf...)
	return i, nil
}

// newInfo decodes pb (nil: empty) and keeps its encoding.
func newInfo(addr string, pb *lpnet.OrchestratorInfo) *Info {
	if pb == nil {
		pb = &lpnet.OrchestratorInfo{}
	}
	i := &Info{Addr: addr, Transcoder: pb.GetTranscoder()}
	i.raw, _ = proto.Marshal(pb) // a message that was decoded always encodes
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
	i.bits = append([]uint64(nil), caps.GetBitstring()...)
	i.Capabilities = bitsToIDs(i.bits)
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
	if tp := pb.GetTicketParams(); tp != nil {
		i.TicketParams = ticketParams(tp)
	}
	if exp := pb.GetAuthToken().GetExpiration(); exp > 0 {
		i.AuthExpiry = time.Unix(exp, 0)
	}
	return i
}

func ticketParams(tp *lpnet.TicketParams) *TicketParams {
	return &TicketParams{
		Recipient:              eth.BytesToAddress(tp.GetRecipient()),
		FaceValue:              new(big.Int).SetBytes(tp.GetFaceValue()),
		WinProb:                new(big.Int).SetBytes(tp.GetWinProb()),
		RecipientRandHash:      append([]byte(nil), tp.GetRecipientRandHash()...),
		Seed:                   append([]byte(nil), tp.GetSeed()...),
		ExpirationBlock:        new(big.Int).SetBytes(tp.GetExpirationBlock()),
		CreationRound:          tp.GetExpirationParams().GetCreationRound(),
		CreationRoundBlockHash: append([]byte(nil), tp.GetExpirationParams().GetCreationRoundBlockHash()...),
	}
}

// Protobuf returns a copy of the OrchestratorInfo protobuf encoding, as
// the orchestrator sent it (what the remote signer's
// /generate-live-payment takes, base64-encoded). DecodeInfo reverses it.
func (i *Info) Protobuf() []byte { return append([]byte(nil), i.raw...) }

// Onchain reports whether the orchestrator sent ticket parameters (it
// expects payments). Off-chain orchestrators send none.
func (i *Info) Onchain() bool { return i.TicketParams != nil }

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
		if hasBit(i.bits, c.ID) {
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
