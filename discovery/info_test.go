package discovery

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func sampleInfoProto() *lpnet.OrchestratorInfo {
	return &lpnet.OrchestratorInfo{
		Transcoder: "https://127.0.0.1:8935",
		Address:    eth.BytesToAddress([]byte{0xaa}).Bytes(),
		PriceInfo:  &lpnet.PriceInfo{PricePerUnit: 10, PixelsPerUnit: 3},
		Capabilities: &lpnet.Capabilities{
			Bitstring: []uint64{1<<0 | 1<<35},
			Version:   "0.8.7",
			Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{
				35: {Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{
					"streamdiffusion": {Warm: true, Capacity: 2, CapacityInUse: 1, RunnerVersion: "v1"},
					"noop":            {},
				}},
			}},
		},
		AuthToken: &lpnet.AuthToken{Token: []byte("t"), SessionId: "abcd", Expiration: 1700000000},
		CapabilitiesPrices: []*lpnet.PriceInfo{
			{PricePerUnit: 7, PixelsPerUnit: 1, Capability: 37, Constraint: "text-reversal"},
			{PricePerUnit: 5, PixelsPerUnit: 2, Capability: 35, Constraint: "noop"},
			nil,
		},
		Nodes: []string{"https://node"},
	}
}

func TestNewInfo(t *testing.T) {
	pb := sampleInfoProto()
	i := newInfo("127.0.0.1:8935", pb)
	require.Equal(t, "127.0.0.1:8935", i.Addr)
	require.Equal(t, "https://127.0.0.1:8935", i.Transcoder)
	require.Equal(t, eth.BytesToAddress([]byte{0xaa}), i.Address)
	require.Equal(t, &Price{10, 3}, i.Price)
	require.Equal(t, []CapabilityID{CapH264, CapLiveVideoToVideo}, i.Capabilities)
	require.Equal(t, "0.8.7", i.Version)
	require.Equal(t, []Model{
		{Capability: Capability{CapLiveVideoToVideo, "noop"}},
		{Capability: Capability{CapLiveVideoToVideo, "streamdiffusion"}, Warm: true, Capacity: 2, CapacityInUse: 1, RunnerVersion: "v1"},
	}, i.Models)
	require.Len(t, i.CapabilityPrices, 2)
	require.Equal(t, time.Unix(1700000000, 0), i.AuthExpiry)
	require.Equal(t, []string{"https://node"}, i.Nodes)
	require.False(t, i.Onchain())
	require.Nil(t, i.TicketParams)

	raw := i.Protobuf()
	var back lpnet.OrchestratorInfo
	require.NoError(t, proto.Unmarshal(raw, &back))
	require.True(t, proto.Equal(pb, &back))

	require.True(t, i.HasCapability(Capability{CapLiveVideoToVideo, "streamdiffusion"}))
	require.True(t, i.HasCapability(Capability{ID: CapLiveVideoToVideo}))
	require.True(t, i.HasCapability(Capability{ID: CapH264}))
	require.False(t, i.HasCapability(Capability{CapLiveVideoToVideo, "other"}))
	require.False(t, i.HasCapability(Capability{ID: CapLLM}))
	require.True(t, i.HasCapability(Capability{CapBYOC, "text-reversal"}))
	require.True(t, i.HasCapability(Capability{ID: CapBYOC}))
	require.False(t, i.HasCapability(Capability{CapBYOC, "other"}))

	p, ok := i.PriceFor(Capability{CapBYOC, "text-reversal"})
	require.True(t, ok)
	require.Equal(t, Price{7, 1}, *p)
	p, ok = i.PriceFor(Capability{CapLiveVideoToVideo, "noop"})
	require.True(t, ok)
	require.Equal(t, Price{5, 2}, *p)
	_, ok = i.PriceFor(Capability{CapLiveVideoToVideo, "streamdiffusion"})
	require.False(t, ok, "base price is not the price of a capability it was not requested for")
	i.Requested = &Capability{CapLiveVideoToVideo, "streamdiffusion"}
	p, ok = i.PriceFor(*i.Requested)
	require.True(t, ok)
	require.Equal(t, Price{10, 3}, *p)
}

func TestNewInfoEmpty(t *testing.T) {
	i := newInfo("x:1", nil)
	require.Equal(t, "x:1", i.Addr)
	require.Nil(t, i.Price)
	require.Empty(t, i.Capabilities)
	require.True(t, i.AuthExpiry.IsZero())
	require.False(t, i.HasCapability(Capability{CapLiveVideoToVideo, "x"}))
	_, ok := i.PriceFor(Capability{CapLiveVideoToVideo, "x"})
	require.False(t, ok)
	require.Empty(t, i.Protobuf())
}

func TestPrice(t *testing.T) {
	require.Equal(t, 0, Price{2, 4}.Cmp(Price{1, 2}))
	require.Equal(t, -1, Price{1, 3}.Cmp(Price{1, 2}))
	require.Equal(t, 1, Price{5, 0}.Cmp(Price{4, 1}), "zero units read as 1")
	require.Equal(t, "5/1 wei", Price{5, 0}.String())
}

func TestDecodeInfoAndTicketParams(t *testing.T) {
	pb := sampleInfoProto()
	face := new(big.Int).Mul(big.NewInt(1_000_000_000_000), big.NewInt(100))
	win := new(big.Int).Div(maxWinProb, big.NewInt(100))
	pb.TicketParams = &lpnet.TicketParams{
		Recipient: eth.BytesToAddress([]byte{0xaa}).Bytes(), FaceValue: face.Bytes(), WinProb: win.Bytes(),
		RecipientRandHash: []byte{1, 2}, Seed: []byte{3}, ExpirationBlock: big.NewInt(140).Bytes(),
		ExpirationParams: &lpnet.TicketExpirationParams{CreationRound: 7, CreationRoundBlockHash: []byte{9}},
	}
	raw, err := proto.Marshal(pb)
	require.NoError(t, err)
	i, err := DecodeInfo("o:1", raw)
	require.NoError(t, err)
	require.True(t, i.Onchain())
	require.Equal(t, raw, i.Protobuf(), "the encoding is kept as given")
	tp := i.TicketParams
	require.Equal(t, eth.BytesToAddress([]byte{0xaa}), tp.Recipient)
	require.Equal(t, face, tp.FaceValue)
	require.Equal(t, win, tp.WinProb)
	require.Equal(t, int64(140), tp.ExpirationBlock.Int64())
	require.Equal(t, int64(7), tp.CreationRound)
	require.Equal(t, []byte{1, 2}, tp.RecipientRandHash)
	// EV = face × win / (2^256 − 1) ≈ face / 100.
	ev, _ := tp.EV().Float64()
	require.InDelta(t, 1e12, ev, 1)
	require.Zero(t, (*TicketParams)(nil).EV().Sign())

	_, err = DecodeInfo("o:1", []byte{0xff, 0xff, 0xff})
	require.ErrorIs(t, err, ErrInvalidInfo)
}
