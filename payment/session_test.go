package payment

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func newSession(t *testing.T, cfg Config) *Session {
	t.Helper()
	s, err := NewSession(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNewSessionValidates(t *testing.T) {
	_, err := NewSession(Config{})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = NewSession(Config{Info: info("https://o", 1), Type: "byoc"})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = NewSession(Config{Info: info("https://o", 1), MaxRefreshes: -1})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
}

func TestNextLV2VStateRoundTrip(t *testing.T) {
	f := newFakeSigner(t, nil)
	s := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1), Capability: &noopCap, App: "a"})

	p, err := s.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &Payment{Payment: payFor(1), SegCreds: "c2Vn", Signer: f.srv.URL}, p)
	assert.Equal(t, `{"State": "1",  "Sig":"s"}`, string(s.State()))

	// Continuing without a manifest id is refused before any I/O.
	_, err = s.Next(context.Background())
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	assert.Contains(t, err.Error(), "SetManifestID")
	assert.EqualValues(t, 1, f.hits.Load())

	s.SetManifestID("manifest-1")
	assert.Equal(t, "manifest-1", s.ManifestID())
	_, err = s.Next(context.Background())
	require.NoError(t, err)
	_, err = s.Next(context.Background())
	require.NoError(t, err)

	reqs := f.requests()
	require.Len(t, reqs, 3)
	_, hasState := reqs[0].Keys["state"]
	_, hasManifest := reqs[0].Keys["ManifestID"]
	assert.False(t, hasState)
	assert.False(t, hasManifest)
	assert.Equal(t, "lv2v", reqs[0].Type)
	assert.Contains(t, reqs[0].Keys, "capabilities")
	assert.Contains(t, reqs[0].Keys, "app")
	// Each later request carries the previous answer's state byte for byte.
	assert.True(t, strings.Contains(string(reqs[1].Raw), `"state":{"State": "1",  "Sig":"s"}`), string(reqs[1].Raw))
	assert.True(t, strings.Contains(string(reqs[2].Raw), `"state":{"State": "2",  "Sig":"s"}`), string(reqs[2].Raw))
	assert.Equal(t, "manifest-1", reqs[2].ManifestID)
}

func TestNextRefreshesOn480(t *testing.T) {
	f := newFakeSigner(t, func(n int, r signerReq, w http.ResponseWriter) {
		if n <= 2 {
			w.Header().Set(signer.HeaderOrchestratorURL, "https://o")
			jsonError(w, 480, "refresh session for remote signer")
			return
		}
		okPayment(n, w)
	})
	var calls atomic.Int32
	s := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1), Refresh: refresher("https://o", &calls)})
	_, err := s.Next(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, calls.Load())
	reqs := f.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []byte{1}, reqs[0].Info.TicketParams.Seed)
	assert.Equal(t, []byte{100}, reqs[1].Info.TicketParams.Seed)
	assert.Equal(t, []byte{101}, reqs[2].Info.TicketParams.Seed, "the refreshed info is sent")
	assert.Equal(t, []byte{101}, protoOf(s.Info()).TicketParams.Seed)
}

func TestNextRefreshLimit(t *testing.T) {
	f := newFakeSigner(t, func(n int, r signerReq, w http.ResponseWriter) { jsonError(w, 480, "refresh") })
	var calls atomic.Int32
	s := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1), Refresh: refresher("https://o", &calls)})
	_, err := s.Next(context.Background())
	require.ErrorIs(t, err, lperr.ErrRefreshSession)
	assert.EqualValues(t, 3, calls.Load())
	assert.EqualValues(t, 4, f.hits.Load())

	// Without a Refresh function a 480 fails at once.
	s2 := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1)})
	_, err = s2.Next(context.Background())
	require.ErrorIs(t, err, lperr.ErrRefreshSession)

	// A failing Refresh is reported with its cause.
	boom := errors.New("grpc down")
	s3 := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1),
		Refresh: func(context.Context) (*discovery.Info, error) { return nil, boom }})
	_, err = s3.Next(context.Background())
	require.ErrorIs(t, err, lperr.ErrRefreshSession)
	require.ErrorIs(t, err, boom)
}

func TestNextSignerErrorsTyped(t *testing.T) {
	cases := []struct {
		status int
		msg    string
		want   error
	}{
		{482, "no tickets", lperr.ErrNoTicketsNeeded},
		{483, "cap reached", lperr.ErrInsufficientBalance},
		{400, "remote signer could not check whether to refresh session: no sender deposit", lperr.ErrInsufficientBalance},
		{481, "price", lperr.ErrPriceExceeded},
		{400, "invalid sig", lperr.ErrPaymentFailed},
		{500, "down", lperr.ErrSignerUnavailable},
	}
	for _, tc := range cases {
		f := newFakeSigner(t, func(n int, r signerReq, w http.ResponseWriter) { jsonError(w, tc.status, tc.msg) })
		s := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1)})
		_, err := s.Next(context.Background())
		require.ErrorIs(t, err, tc.want, "%d %s", tc.status, tc.msg)
		assert.Nil(t, s.State())
	}
}

func TestNextProactiveRefresh(t *testing.T) {
	f := newFakeSigner(t, nil)
	var calls atomic.Int32
	pb := orchInfo("https://o", 1, time.Now().Add(time.Minute)) // last 10 % of a 30 min token
	s := newSession(t, Config{Signer: f.client(t), Info: mkInfo("https://o", pb), Refresh: refresher("https://o", &calls)})
	_, err := s.Next(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, calls.Load())
	assert.Equal(t, []byte{100}, f.requests()[0].Info.TicketParams.Seed)

	// Fresh token: no refresh.
	s.SetManifestID("m")
	_, err = s.Next(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, calls.Load())

	// Once the clock passes the refresh point it refreshes again.
	s.now = func() time.Time { return time.Now().Add(28 * time.Minute) }
	_, err = s.Next(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, calls.Load())
}

func TestSetInfoOtherOrchestratorResetsState(t *testing.T) {
	f := newFakeSigner(t, nil)
	s := newSession(t, Config{Signer: f.client(t), Info: info("https://o", 1)})
	_, err := s.Next(context.Background())
	require.NoError(t, err)
	require.NotNil(t, s.State())
	s.SetInfo(info("https://o", 2)) // same address: state kept
	require.NotNil(t, s.State())
	pb := orchInfo("https://o2", 3, time.Now().Add(time.Hour))
	pb.Address = []byte{0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	s.SetInfo(mkInfo("https://o2", pb))
	assert.Nil(t, s.State())
}

func TestOffchainLV2V(t *testing.T) {
	pb := orchInfo("https://o", 1, time.Now().Add(time.Hour))
	pb.TicketParams, pb.PriceInfo = nil, nil
	for _, c := range []*signer.Client{nil, signer.Offchain()} {
		s := newSession(t, Config{Signer: c, Info: mkInfo("https://o", pb)})
		p, err := s.Next(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "", p.Payment)
		assert.NotEmpty(t, p.SegCreds)
		h := p.Header()
		assert.Empty(t, h.Get(HeaderPayment))
		assert.Equal(t, p.SegCreds, h.Get(HeaderSegment))
		_, err = s.Next(context.Background()) // no state off-chain: no manifest id needed
		require.NoError(t, err)
	}
	// A remote signer is not asked to pay an orchestrator without ticket params.
	f := newFakeSigner(t, nil)
	s := newSession(t, Config{Signer: f.client(t), Info: mkInfo("https://o", pb)})
	_, err := s.Next(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 0, f.hits.Load())
}

func TestClosedSession(t *testing.T) {
	s := newSession(t, Config{Info: info("https://o", 1)})
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, err := s.Next(context.Background())
	require.ErrorIs(t, err, lperr.ErrClosed)
}

func TestWrongKindCalls(t *testing.T) {
	s := newSession(t, Config{Info: info("https://o", 1)})
	_, err := s.NextBYOC(context.Background(), 10)
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	b := newSession(t, Config{Info: info("https://o", 1), BYOCCapability: "x"})
	_, err = b.Next(context.Background())
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	require.ErrorIs(t, b.SendLV2V(context.Background()), lperr.ErrPaymentFailed)
	_, err = b.NextBYOC(context.Background(), 0)
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
}
