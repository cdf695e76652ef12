package livepeertest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

func TestScopeOnchain(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{})
	body := `{"model_id":"scope","params":{"prompt":"a cat"}}`

	status, _, raw := f.do(http.MethodPost, f.o.URL()+"/scope", body, nil)
	require.Equal(t, http.StatusPaymentRequired, status)
	require.JSONEq(t, `{"error":{"message":"invalid live runner payment signer address"}}`, string(raw))
	status, _, raw = f.do(http.MethodPost, f.o.URL()+"/scope", "{", nil)
	require.Equal(t, http.StatusBadRequest, status)

	status, _, raw = f.do(http.MethodPost, f.o.URL()+"/scope", body, f.payer())
	require.Equal(t, http.StatusPaymentRequired, status, "%s", raw)
	ch, info := challengeOf(t, raw)
	require.Equal(t, f.o.URL()+"/payment", ch.PaymentURL)
	require.Equal(t, info.GetAuthToken().GetSessionId(), ch.ManifestID)
	require.Equal(t, int64(1), info.GetPriceInfo().GetPricePerUnit(), "the live-video-to-video/scope price")

	hdr, state := f.pay(info, ch.ManifestID, "lv2v", nil)
	status, _, raw = f.do(http.MethodPost, f.o.URL()+"/scope", body, hdr)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	resp := decode[scopeResponse](t, raw)
	base := f.o.URL() + tricklePath + ch.ManifestID
	require.Equal(t, scopeResponse{ControlURL: base + "-control", EventsURL: base + "-events", ManifestID: ch.ManifestID,
		PublishURL: base, SubscribeURL: base + "-out"}, resp)
	s, ok := f.n.Live()[0].Stream(ch.ManifestID)
	require.True(t, ok)
	require.Equal(t, "scope", s.Model)
	require.Equal(t, "a cat", s.Params["prompt"])

	// Video in, video out (the test network runs Scope as Passthrough).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, err := trickle.NewPublisher(resp.PublishURL, trickle.PublisherConfig{})
	require.NoError(t, err)
	defer pub.Close()
	sub, err := trickle.NewSubscriber(resp.SubscribeURL, trickle.SubscriberConfig{})
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, pub.Write(ctx, strings.NewReader("segment-0")))
	seg, err := sub.Next(ctx)
	require.NoError(t, err)
	got, err := io.ReadAll(seg)
	require.NoError(t, err)
	seg.Close()
	require.Equal(t, "segment-0", string(got))

	// The same manifest again is refused.
	hdr2, _ := f.pay(info, ch.ManifestID, "lv2v", state)
	status, _, _ = f.do(http.MethodPost, f.o.URL()+"/scope", body, hdr2)
	require.Equal(t, http.StatusConflict, status)
}

func TestScopeOffchainCapacity(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{})
	for range 2 { // the fixture's scope capacity
		status, _, raw := f.do(http.MethodPost, f.o.URL()+"/scope", `{"params":{}}`, nil)
		require.Equal(t, http.StatusOK, status, "%s", raw)
		require.NotEmpty(t, decode[scopeResponse](t, raw).ManifestID)
	}
	status, _, raw := f.do(http.MethodPost, f.o.URL()+"/scope", `{}`, nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "insufficient capacity\n", string(raw))
}
