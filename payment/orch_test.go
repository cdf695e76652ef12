package payment

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// fakeOrch is a TLS orchestrator answering POST /payment.
type fakeOrch struct {
	srv   *httptest.Server
	hits  atomic.Int32
	mu    sync.Mutex
	heads []http.Header
	reply func(n int, w http.ResponseWriter)
}

func newFakeOrch(t *testing.T, reply func(n int, w http.ResponseWriter)) *fakeOrch {
	t.Helper()
	o := &fakeOrch{reply: reply}
	o.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/payment" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		if b, _ := io.ReadAll(r.Body); len(b) != 0 {
			t.Errorf("payment body not empty: %q", b)
		}
		n := int(o.hits.Add(1))
		o.mu.Lock()
		o.heads = append(o.heads, r.Header.Clone())
		o.mu.Unlock()
		o.reply(n, w)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *fakeOrch) headers() []http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]http.Header(nil), o.heads...)
}

// paymentResult answers with fresh ticket params (seed) and no auth token,
// like go-livepeer's /payment handler would for a new ticket session.
func paymentResult(t *testing.T, transcoder string, seed byte) func(int, http.ResponseWriter) {
	return func(n int, w http.ResponseWriter) {
		pb := orchInfo(transcoder, seed, time.Now().Add(time.Hour))
		pb.AuthToken = nil
		b, err := proto.Marshal(&lpnet.PaymentResult{Info: pb})
		if err != nil {
			t.Errorf("marshal: %v", err)
		}
		w.Write(b)
	}
}

func TestSendLV2VAdoptsPaymentResult(t *testing.T) {
	leakCheck(t)
	f := newFakeSigner(t, nil)
	var o *fakeOrch
	o = newFakeOrch(t, func(n int, w http.ResponseWriter) { paymentResult(t, o.srv.URL, 50)(n, w) })
	s := newSession(t, Config{Signer: f.client(t), Info: info(o.srv.URL, 1)})
	oldToken := protoOf(s.Info()).AuthToken
	_, err := s.Next(context.Background()) // payment sent with the job start
	require.NoError(t, err)
	s.SetManifestID("m")

	require.NoError(t, s.SendLV2V(context.Background()))
	heads := o.headers()
	require.Len(t, heads, 1)
	assert.Equal(t, payFor(2), heads[0].Get(HeaderPayment))
	assert.Equal(t, "c2Vn", heads[0].Get(HeaderSegment))
	assert.Equal(t, []byte{50}, protoOf(s.Info()).TicketParams.Seed, "fresh ticket params adopted")
	assert.True(t, proto.Equal(oldToken, protoOf(s.Info()).AuthToken), "auth token kept")

	require.NoError(t, s.SendLV2V(context.Background()))
	reqs := f.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []byte{50}, reqs[2].Info.TicketParams.Seed, "next payment uses the adopted info")
	assert.Equal(t, "m", reqs[2].ManifestID)
	s.Close()
	f.client(t).CloseIdleConnections()
}

func TestSendLV2VRejectedRefreshesOnce(t *testing.T) {
	for _, st := range []int{400, 402, 403} {
		f := newFakeSigner(t, nil)
		var o *fakeOrch
		o = newFakeOrch(t, func(n int, w http.ResponseWriter) {
			if n == 1 {
				http.Error(w, "invalid ticket", st)
				return
			}
			paymentResult(t, o.srv.URL, 60)(n, w)
		})
		var calls atomic.Int32
		s := newSession(t, Config{Signer: f.client(t), Info: info(o.srv.URL, 1), ManifestID: "m", Refresh: refresher(o.srv.URL, &calls)})
		require.NoError(t, s.SendLV2V(context.Background()), "status %d", st)
		assert.EqualValues(t, 1, calls.Load())
		assert.EqualValues(t, 2, o.hits.Load())
		assert.Equal(t, []byte{100}, f.requests()[1].Info.TicketParams.Seed, "the retry uses refreshed info")
	}
}

func TestSendLV2VRejectedTwice(t *testing.T) {
	f := newFakeSigner(t, nil)
	o := newFakeOrch(t, func(n int, w http.ResponseWriter) { http.Error(w, "Could not verify segment creds", 403) })
	var calls atomic.Int32
	s := newSession(t, Config{Signer: f.client(t), Info: info(o.srv.URL, 1), ManifestID: "m", Refresh: refresher(o.srv.URL, &calls)})
	err := s.SendLV2V(context.Background())
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	var ae *lperr.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 403, ae.StatusCode)
	assert.Equal(t, o.srv.URL, ae.Orchestrator)
	assert.Equal(t, o.srv.URL+"/payment", ae.URL)
	assert.EqualValues(t, 2, o.hits.Load())
	assert.EqualValues(t, 1, calls.Load())
}

func TestSendLV2VInsufficientBalance(t *testing.T) {
	f := newFakeSigner(t, nil)
	o := newFakeOrch(t, func(n int, w http.ResponseWriter) { http.Error(w, "Insufficient balance", 400) })
	var calls atomic.Int32
	s := newSession(t, Config{Signer: f.client(t), Info: info(o.srv.URL, 1), ManifestID: "m", Refresh: refresher(o.srv.URL, &calls)})
	err := s.SendLV2V(context.Background())
	require.ErrorIs(t, err, lperr.ErrInsufficientBalance)
	assert.EqualValues(t, 1, o.hits.Load(), "out of balance is not retried")
	assert.EqualValues(t, 0, calls.Load())
}

func TestSendLV2VOrchestratorDown(t *testing.T) {
	f := newFakeSigner(t, nil)
	o := newFakeOrch(t, func(n int, w http.ResponseWriter) { http.Error(w, "Internal Server Error", 500) })
	s := newSession(t, Config{Signer: f.client(t), Info: info(o.srv.URL, 1)})
	require.ErrorIs(t, s.SendLV2V(context.Background()), lperr.ErrOrchestratorUnavailable)

	url := o.srv.URL
	o.srv.Close()
	s2 := newSession(t, Config{Signer: f.client(t), Info: info(url, 1)})
	require.ErrorIs(t, s2.SendLV2V(context.Background()), lperr.ErrOrchestratorUnavailable)
}

func TestSendLV2VSkipsWhenNoTicketsNeeded(t *testing.T) {
	f := newFakeSigner(t, func(n int, r signerReq, w http.ResponseWriter) { jsonError(w, 482, "no tickets") })
	o := newFakeOrch(t, func(n int, w http.ResponseWriter) {})
	s := newSession(t, Config{Signer: f.client(t), Info: info(o.srv.URL, 1)})
	require.ErrorIs(t, s.SendLV2V(context.Background()), lperr.ErrNoTicketsNeeded)
	assert.EqualValues(t, 0, o.hits.Load())
}

func TestSendLV2VOffchainAndBadResult(t *testing.T) {
	o := newFakeOrch(t, func(n int, w http.ResponseWriter) { w.Write([]byte("not a protobuf \xff\xff")) })
	pb := orchInfo(o.srv.URL, 1, time.Now().Add(time.Hour))
	pb.TicketParams = nil
	s := newSession(t, Config{Info: mkInfo(o.srv.URL, pb)})
	before := s.Info()
	require.NoError(t, s.SendLV2V(context.Background()))
	h := o.headers()[0]
	assert.Empty(t, h.Values(HeaderPayment))
	assert.NotEmpty(t, h.Get(HeaderSegment))
	assert.Same(t, before, s.Info(), "an unreadable result keeps the current info")
}
