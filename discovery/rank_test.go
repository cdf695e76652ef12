package discovery

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func infoAt(addr string, pb *lpnet.OrchestratorInfo, lat time.Duration, req *Capability) *Info {
	if pb.Transcoder == "" {
		pb.Transcoder = "https://" + addr
	}
	i := newInfo(addr, pb)
	i.Latency = lat
	i.Requested = req
	return i
}

func TestRank(t *testing.T) {
	want := &Capability{CapLiveVideoToVideo, "sd"}
	cheapSlow := infoAt("a:1", lv2vInfo(1, "sd"), 90*time.Millisecond, want)
	cheapFast := infoAt("b:1", lv2vInfo(1, "sd"), 10*time.Millisecond, want)
	dear := infoAt("c:1", lv2vInfo(50, "sd"), time.Millisecond, want)
	tooDear := infoAt("d:1", lv2vInfo(500, "sd"), time.Millisecond, want)
	otherModel := infoAt("e:1", lv2vInfo(1, "other"), time.Millisecond, want)
	noTranscoder := newInfo("f:1", lv2vInfo(1, "sd"))
	offchain := lv2vInfo(0, "sd")
	offchain.PriceInfo = nil
	free := infoAt("g:1", offchain, 50*time.Millisecond, want)

	in := []*Info{cheapSlow, dear, tooDear, otherModel, noTranscoder, cheapFast, free, nil}
	ranked, rej := Rank(in, want, big.NewRat(100, 1))
	require.Equal(t, []*Info{free, cheapFast, cheapSlow, dear}, ranked)
	require.Len(t, rej, 3)
	byAddr := map[string]error{}
	for _, r := range rej {
		byAddr[r.Orchestrator] = r.Err
	}
	require.ErrorIs(t, byAddr["d:1"], lperr.ErrPriceExceeded)
	require.ErrorIs(t, byAddr["e:1"], ErrCapabilityNotOffered)
	require.ErrorIs(t, byAddr["f:1"], lperr.ErrOrchestratorUnavailable)

	// No ceiling keeps the dear one; no capability keeps every model.
	ranked, rej = Rank(in, want, nil)
	require.Len(t, ranked, 5)
	require.Len(t, rej, 2)
	ranked, _ = Rank(in, nil, nil)
	require.Len(t, ranked, 6)
	require.Equal(t, free, ranked[0])

	// BYOC: capabilities_prices entry 37/name.
	byoc := &Capability{CapBYOC, "echo"}
	b1 := infoAt("h:1", &lpnet.OrchestratorInfo{CapabilitiesPrices: []*lpnet.PriceInfo{{Capability: 37, Constraint: "echo", PricePerUnit: 9, PixelsPerUnit: 1}}}, 0, byoc)
	b2 := infoAt("i:1", &lpnet.OrchestratorInfo{CapabilitiesPrices: []*lpnet.PriceInfo{{Capability: 37, Constraint: "echo", PricePerUnit: 3, PixelsPerUnit: 1}}}, 0, byoc)
	b3 := infoAt("j:1", &lpnet.OrchestratorInfo{CapabilitiesPrices: []*lpnet.PriceInfo{{Capability: 37, Constraint: "other", PricePerUnit: 1, PixelsPerUnit: 1}}}, 0, byoc)
	b4 := infoAt("k:1", &lpnet.OrchestratorInfo{}, 0, byoc) // off-chain, no prices: cannot tell
	b5 := infoAt("l:1", &lpnet.OrchestratorInfo{TicketParams: &lpnet.TicketParams{}}, 0, byoc)
	ranked, rej = Rank([]*Info{b1, b2, b3, b4, b5}, byoc, big.NewRat(5, 1))
	require.Equal(t, []*Info{b4, b2}, ranked)
	require.Len(t, rej, 3)
}

func TestSelector(t *testing.T) {
	a, b := newInfo("a:1", nil), newInfo("b:1", nil)
	pre := []Rejection{{Orchestrator: "x:1", Err: ErrCapabilityNotOffered}}
	s := NewSelector("live-video-to-video/sd", []*Info{a, b}, pre)
	ctx := context.Background()
	require.Equal(t, 2, s.Remaining())
	got, err := s.Next(ctx)
	require.NoError(t, err)
	require.Same(t, a, got)
	s.Reject(got, errTest)
	got, err = s.Next(ctx)
	require.NoError(t, err)
	require.Same(t, b, got)
	balance := errors.Join(errors.New("payment refused"), ErrPaymentRequiredForTest)
	s.Reject(got, balance)
	s.Reject(nil, errTest)
	_, err = s.Next(ctx)
	var noe *lperr.NoOrchestratorError
	require.ErrorAs(t, err, &noe)
	require.ErrorIs(t, err, lperr.ErrNoOrchestrator)
	require.ErrorIs(t, err, errTest)
	require.ErrorIs(t, err, ErrPaymentRequiredForTest)
	require.ErrorIs(t, err, ErrCapabilityNotOffered)
	require.Len(t, noe.Rejections, 3)
	require.Equal(t, "live-video-to-video/sd", noe.Capability)
	require.Contains(t, err.Error(), "all 2 candidates failed")
	require.Len(t, s.Rejections(), 3)
	require.Len(t, s.Candidates(), 2)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = NewSelector("", []*Info{a}, nil).Next(cctx)
	require.ErrorIs(t, err, context.Canceled)

	_, err = NewSelector("llm", nil, nil).Next(ctx)
	require.ErrorIs(t, err, lperr.ErrNoOrchestrator)
	require.Contains(t, err.Error(), "no orchestrator found")
}

var ErrPaymentRequiredForTest = errors.New("insufficient balance (test)")
