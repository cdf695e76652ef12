package livepeertest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"time"

	"connectrpc.com/connect"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// orchRPC implements the net.Orchestrator gRPC service.
type orchRPC struct {
	o *Orchestrator
}

// GetOrchestrator follows go-livepeer server/rpc.go getOrchestrator.
func (s *orchRPC) GetOrchestrator(_ context.Context, req *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
	o := s.o
	o.mu.Lock()
	o.getOrch++
	fail := o.failGetOrch > 0
	if fail {
		o.failGetOrch--
	}
	o.mu.Unlock()
	if fail {
		return nil, connect.NewError(connect.CodeUnknown, errors.New("livepeertest: injected GetOrchestrator failure"))
	}
	sender := eth.BytesToAddress(req.GetAddress())
	if !o.offchain && !verifyOrchRequest(sender, req.GetSig()) {
		// go-livepeer returns plain errors, which gRPC sends with status Unknown.
		return nil, connect.NewError(connect.CodeUnknown, errors.New("Invalid orchestrator request: orchestrator req sig check failed"))
	}
	if req.GetCapabilities() != nil && !req.GetIgnoreCapacityCheck() && !o.hasLiveCapacity(req.GetCapabilities()) {
		return nil, connect.NewError(connect.CodeUnknown, errors.New("Invalid orchestrator request: OrchestratorCapped"))
	}
	return o.orchestratorInfo(sender, req.GetCapabilities()), nil
}

// Ping answers with the orchestrator's signature over the value (empty offchain).
func (s *orchRPC) Ping(_ context.Context, p *lpnet.PingPong) (*lpnet.PingPong, error) {
	if s.o.offchain {
		return &lpnet.PingPong{}, nil
	}
	sig, err := ethSign(s.o.key, ethsig.Keccak256(p.GetValue()))
	if err != nil {
		return nil, connect.NewError(connect.CodeUnknown, err)
	}
	return &lpnet.PingPong{Value: sig}, nil
}

// hasLiveCapacity is go-livepeer's checkLiveVideoToVideoCapacity: when the
// request names LV2V models, at least one must have an idle container.
func (o *Orchestrator) hasLiveCapacity(req *lpnet.Capabilities) bool {
	live, ok := req.GetConstraints().GetPerCapability()[capLiveVideoToVideo]
	if !ok {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for model := range live.GetModels() {
		if c := o.lookup(capLiveVideoToVideo, model); c != nil && o.inUse[c.name] < c.capacity {
			return true
		}
	}
	return false
}

func (o *Orchestrator) lookup(id uint32, model string) *capability {
	for _, c := range o.caps {
		if c.id == id && c.model == model {
			return c
		}
	}
	return nil
}

// orchestratorInfo builds the answer to a GetOrchestrator call from sender,
// as go-livepeer's orchestratorInfoWithCaps does: with caps it quotes the sum
// of the requested models' prices and leaves out capabilities_prices and
// hardware; without caps it quotes the base price and includes both. Each call
// issues a fresh auth token (new session id, valid AuthTokenValidity) and fresh
// ticket params. Offchain: no price, no ticket params, zero address.
func (o *Orchestrator) orchestratorInfo(sender eth.Address, caps *lpnet.Capabilities) *lpnet.OrchestratorInfo {
	info := &lpnet.OrchestratorInfo{
		Transcoder:   o.URL(),
		Address:      o.address.Bytes(),
		Capabilities: o.netCapabilities(),
		AuthToken:    o.newAuthToken(),
	}
	if caps == nil {
		info.Hardware = o.hardware()
	}
	if o.offchain {
		return info
	}
	price := o.basePrice
	if caps == nil {
		info.CapabilitiesPrices = o.capabilitiesPrices()
	} else {
		price = o.priceForCaps(caps)
	}
	info.PriceInfo = priceInfo(price)
	info.TicketParams = o.ticketParams(sender, price)
	return info
}

// priceForCaps sums the prices of the requested (capability, model) pairs
// (only capabilities present in both capacities and constraints count, as in
// go-livepeer); with none priced it falls back to the base price.
func (o *Orchestrator) priceForCaps(caps *lpnet.Capabilities) *big.Rat {
	sum := new(big.Rat)
	per := caps.GetConstraints().GetPerCapability()
	for id := range caps.GetCapacities() {
		cc, ok := per[id]
		if !ok {
			continue
		}
		for model := range cc.GetModels() {
			if c := o.lookup(id, model); c != nil && c.id != capBYOC {
				sum.Add(sum, c.price())
			}
		}
	}
	if sum.Sign() == 0 {
		return o.basePrice
	}
	return sum
}

// capabilitiesPrices lists one PriceInfo per served model; BYOC entries use
// capability 37 with the capability name as constraint, in wei per second.
func (o *Orchestrator) capabilitiesPrices() []*lpnet.PriceInfo {
	out := make([]*lpnet.PriceInfo, 0, len(o.caps))
	for _, c := range o.caps {
		p := priceInfo(c.price())
		if c.id == capBYOC {
			// go-livepeer truncates BYOC prices to integer wei (common.PriceToInt64).
			p = &lpnet.PriceInfo{PricePerUnit: ratFloor(c.price()).Int64(), PixelsPerUnit: 1}
		}
		p.Capability, p.Constraint = c.id, c.model
		out = append(out, p)
	}
	return out
}

// CapabilityPrice returns the configured price of a capability by its full
// name ("byoc/text-reversal", "live-video-to-video/noop"); false if unknown.
func (o *Orchestrator) capabilityPrice(name string) (*big.Rat, bool) {
	for _, c := range o.caps {
		if c.name == name {
			return new(big.Rat).Set(c.price()), true
		}
	}
	return nil, false
}

// netCapabilities advertises go-livepeer's default transcoding bits with
// capacity 1, plus each AI pipeline (not BYOC, as on go-livepeer master) with
// per-model warm constraints and current capacity / capacity in use.
func (o *Orchestrator) netCapabilities() *lpnet.Capabilities {
	nc := &lpnet.Capabilities{Capacities: map[uint32]uint32{}, Version: "livepeertest"}
	for _, b := range defaultTranscodeCaps {
		nc.Bitstring = setBit(nc.Bitstring, b)
		nc.Capacities[b] = 1
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.caps {
		if c.id == capBYOC {
			continue
		}
		nc.Bitstring = setBit(nc.Bitstring, c.id)
		nc.Capacities[c.id] += uint32(c.capacity)
		if nc.Constraints == nil {
			nc.Constraints = &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{}}
		}
		cc := nc.Constraints.PerCapability[c.id]
		if cc == nil {
			cc = &lpnet.Capabilities_CapabilityConstraints{Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{}}
			nc.Constraints.PerCapability[c.id] = cc
		}
		used := o.inUse[c.name]
		cc.Models[c.model] = &lpnet.Capabilities_CapabilityConstraints_ModelConstraint{
			Warm: true, Capacity: uint32(max(c.capacity-used, 0)), CapacityInUse: uint32(used),
		}
	}
	return nc
}

func (o *Orchestrator) hardware() []*lpnet.HardwareInformation {
	var out []*lpnet.HardwareInformation
	for _, c := range o.caps {
		if c.id == capBYOC {
			continue
		}
		out = append(out, &lpnet.HardwareInformation{
			Pipeline: c.pipeline,
			ModelId:  c.model,
			GpuInfo: map[string]*lpnet.GPUComputeInfo{"0": {
				Id: "GPU-livepeertest-0", Name: "livepeertest virtual GPU", Major: 8, Minor: 9,
				MemoryFree: 80 << 30, MemoryTotal: 80 << 30,
			}},
		})
	}
	return out
}

// AcquireCapacity takes one unit of capacity of a capability ("pipeline/model")
// and returns its release function (safe to call more than once). It returns
// false when the capability is unknown or fully in use.
func (o *Orchestrator) acquireCapacity(name string) (release func(), ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.caps {
		if c.name != name {
			continue
		}
		if o.inUse[name] >= c.capacity {
			return nil, false
		}
		o.inUse[name]++
		done := false
		return func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			if !done {
				done = true
				o.inUse[name]--
			}
		}, true
	}
	return nil, false
}

// newAuthToken issues a token like go-livepeer: session id = 8 random hex chars,
// token = HMAC-SHA256(secret, sessionID ‖ big-endian minimal bytes of expiration).
func (o *Orchestrator) newAuthToken() *lpnet.AuthToken {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return o.authToken(hex.EncodeToString(b), time.Now().Add(time.Duration(o.tokenTTL.Load())).Unix())
}

func (o *Orchestrator) authToken(sessionID string, expiration int64) *lpnet.AuthToken {
	h := hmac.New(sha256.New, o.secret)
	h.Write([]byte(sessionID))
	h.Write(big.NewInt(expiration).Bytes())
	return &lpnet.AuthToken{Token: h.Sum(nil), SessionId: sessionID, Expiration: expiration}
}

// checkAuthToken verifies a token this orchestrator issued and that it has not
// expired; the errors carry go-livepeer's messages.
func (o *Orchestrator) checkAuthToken(t *lpnet.AuthToken) error {
	if t == nil {
		return errors.New("missing auth token")
	}
	want := o.authToken(t.GetSessionId(), t.GetExpiration())
	if !hmac.Equal(want.Token, t.GetToken()) {
		return errors.New("invalid auth token")
	}
	if time.Now().After(time.Unix(t.GetExpiration(), 0)) {
		return errors.New("expired auth token")
	}
	return nil
}

// creationRound / creationRoundBlockHash: fixed expiration params, as a chain
// that never advances rounds.
const creationRound = 1

var creationRoundBlockHash = keccakHash([]byte("livepeertest round 1"))

// ticketParams returns fresh ticket params for sender at price (wei per unit),
// as go-livepeer's recipient does: a random seed, recipientRandHash =
// keccak256(HMAC(secret, seed‖sender‖faceValue‖winProb‖expirationBlock‖price‖auxData)),
// expiration = current block + 40. A zero price gives zero face value and win
// probability. It returns nil offchain.
func (o *Orchestrator) ticketParams(sender eth.Address, price *big.Rat) *lpnet.TicketParams {
	if o.offchain {
		return nil
	}
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	seedInt := new(big.Int).SetBytes(seed)
	face, win := new(big.Int), new(big.Int)
	if price.Sign() > 0 {
		face.Set(o.faceValue)
		win.Set(o.winProb)
	}
	exp := big.NewInt(o.clock.block() + ticketParamsLifetime)
	rnd := o.recipientRand(seedInt, sender, face, win, exp, price, creationRound, creationRoundBlockHash)
	return &lpnet.TicketParams{
		Recipient:         o.address.Bytes(),
		FaceValue:         face.Bytes(),
		WinProb:           win.Bytes(),
		RecipientRandHash: ethsig.Keccak256(leftPad(rnd.Bytes(), 32)),
		Seed:              seedInt.Bytes(),
		ExpirationBlock:   exp.Bytes(),
		ExpirationParams: &lpnet.TicketExpirationParams{
			CreationRound:          creationRound,
			CreationRoundBlockHash: creationRoundBlockHash.Bytes(),
		},
	}
}

func (o *Orchestrator) recipientRand(seed *big.Int, sender eth.Address, face, win, exp *big.Int, price *big.Rat, round int64, blockHash hash32) *big.Int {
	h := hmac.New(sha256.New, o.randKey)
	h.Write(seed.Bytes())
	h.Write(sender.Bytes())
	h.Write(face.Bytes())
	h.Write(win.Bytes())
	h.Write(exp.Bytes())
	h.Write(price.Num().Bytes())
	h.Write(price.Denom().Bytes())
	h.Write(auxData(round, blockHash))
	return new(big.Int).SetBytes(h.Sum(nil))
}

// TicketEV returns the expected value of one of this orchestrator's tickets, in wei.
func (o *Orchestrator) ticketEV() *big.Rat { return ticketEV(o.faceValue, o.winProb) }
