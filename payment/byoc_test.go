package payment

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func byocInfo(price int64) *discovery.Info {
	pb := orchInfo("https://o", 1, time.Now().Add(time.Hour))
	pb.CapabilitiesPrices = []*lpnet.PriceInfo{
		{PricePerUnit: 7, PixelsPerUnit: 1, Capability: 35, Constraint: "noop"},
		{PricePerUnit: price, PixelsPerUnit: 1, Capability: 37, Constraint: "text-reversal"},
	}
	return mkInfo("https://o", pb)
}

func TestNextBYOC(t *testing.T) {
	f := newFakeSigner(t, nil)
	s := newSession(t, Config{Signer: f.client(t), Info: byocInfo(5), BYOCCapability: "text-reversal"})
	price, ok := s.BYOCPrice()
	require.True(t, ok)
	assert.Equal(t, int64(5), price.PricePerUnit)

	p, err := s.NextBYOC(context.Background(), 120)
	require.NoError(t, err)
	assert.Equal(t, payFor(1), p.Payment)
	assert.Empty(t, p.SegCreds, "BYOC sends no seg creds")
	h := p.Header()
	assert.Equal(t, payFor(1), h.Get(HeaderPayment))
	assert.Empty(t, h.Values(HeaderSegment))

	_, err = s.NextBYOC(context.Background(), 30)
	require.NoError(t, err)

	reqs := f.requests()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		_, hasType := r.Keys["type"]
		assert.False(t, hasType, "type \"\" is omitted")
		assert.Equal(t, "text-reversal", r.ManifestID, "balance is per capability")
		assert.Equal(t, int64(5), r.Info.PriceInfo.PricePerUnit)
		assert.Equal(t, int64(1), r.Info.PriceInfo.PixelsPerUnit)
		assert.Equal(t, uint32(37), r.Info.PriceInfo.Capability)
		assert.Equal(t, "text-reversal", r.Info.PriceInfo.Constraint)
		assert.Equal(t, []int64{120, 30}[i], r.InPixels)
	}
	assert.Contains(t, string(reqs[1].Raw), `"state":{"State": "1",  "Sig":"s"}`)
	// The session's own info is not changed by the override.
	assert.Equal(t, int64(100), protoOf(s.Info()).PriceInfo.PricePerUnit)
}

func TestNextBYOCFree(t *testing.T) {
	f := newFakeSigner(t, nil)
	s := newSession(t, Config{Signer: f.client(t), Info: byocInfo(0), BYOCCapability: "text-reversal"})
	p, err := s.NextBYOC(context.Background(), 60)
	require.NoError(t, err)
	assert.Equal(t, &Payment{}, p)
	assert.Empty(t, p.Header())

	pb := orchInfo("https://o", 1, time.Now().Add(time.Hour))
	pb.TicketParams, pb.PriceInfo = nil, nil
	s2 := newSession(t, Config{Signer: f.client(t), Info: mkInfo("https://o", pb), BYOCCapability: "x"})
	p, err = s2.NextBYOC(context.Background(), 60)
	require.NoError(t, err)
	assert.Equal(t, &Payment{}, p)
	assert.EqualValues(t, 0, f.hits.Load(), "nothing to pay: the signer is not asked")
}

func TestNextBYOCNoPrice(t *testing.T) {
	f := newFakeSigner(t, nil)
	s := newSession(t, Config{Signer: f.client(t), Info: byocInfo(5), BYOCCapability: "unknown-cap"})
	_, err := s.NextBYOC(context.Background(), 60)
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	assert.Contains(t, err.Error(), "unknown-cap")
}

func TestNextBYOCRequestedInfo(t *testing.T) {
	// Info fetched for the BYOC capability: price_info is the capability price.
	f := newFakeSigner(t, nil)
	pb := orchInfo("https://o", 1, time.Now().Add(time.Hour))
	pb.PriceInfo = &lpnet.PriceInfo{PricePerUnit: 9, PixelsPerUnit: 2}
	in := mkInfo("https://o", pb)
	in.Requested = &discovery.Capability{ID: discovery.CapBYOC, Model: "c"}
	s := newSession(t, Config{Signer: f.client(t), Info: in, BYOCCapability: "c"})
	_, err := s.NextBYOC(context.Background(), 60)
	require.NoError(t, err)
	assert.Equal(t, int64(9), f.requests()[0].Info.PriceInfo.PricePerUnit)
	assert.Equal(t, int64(2), f.requests()[0].Info.PriceInfo.PixelsPerUnit)
}

func TestNextBYOCBalanceErrors(t *testing.T) {
	f := newFakeSigner(t, func(n int, r signerReq, w http.ResponseWriter) { jsonError(w, 483, "spending cap reached") })
	s := newSession(t, Config{Signer: f.client(t), Info: byocInfo(5), BYOCCapability: "text-reversal"})
	_, err := s.NextBYOC(context.Background(), 60)
	require.ErrorIs(t, err, lperr.ErrInsufficientBalance)
}
