package livepeertest

import (
	"context"
	"encoding/json"
	"io"
	"iter"
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
	// As go-livepeer master: control and events only, no media channels.
	require.Equal(t, scopeResponse{ControlURL: base + "-control", EventsURL: base + "-events", ManifestID: ch.ManifestID}, resp)
	require.Contains(t, string(raw), `"publish_url":""`)
	require.Contains(t, string(raw), `"subscribe_url":""`)
	s, ok := f.n.Live()[0].Stream(ch.ManifestID)
	require.True(t, ok)
	require.Equal(t, "scope", s.Model)
	require.Equal(t, "a cat", s.Params["prompt"])
	status, _, _ = f.do(http.MethodGet, base+"/0", nil, nil)
	require.Equal(t, http.StatusNotFound, status, "no input channel")

	// Control in, events out; deleting the control channel ends the stream.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctl, err := trickle.NewControlWriter(resp.ControlURL, trickle.ControlConfig{})
	require.NoError(t, err)
	evSub, err := trickle.NewSubscriber(resp.EventsURL, trickle.SubscriberConfig{})
	require.NoError(t, err)
	events := newJSONReader(ctx, evSub)
	defer events.Close()
	require.NoError(t, ctl.Send(ctx, map[string]any{"prompt": "a dog"}))
	for {
		raw, err := events.Next(ctx)
		require.NoError(t, err)
		if strings.Contains(string(raw), "params_update") {
			require.Contains(t, string(raw), "a dog")
			break
		}
	}
	require.NoError(t, ctl.Close())
	for {
		if _, err := events.Next(ctx); err != nil {
			require.NoError(t, ctx.Err(), "the events channel ends")
			break
		}
	}
	eventually(t, func() bool { si, _ := f.n.Live()[0].Stream(ch.ManifestID); return si.EndReason != "" }, "the stream ends")

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

// jsonReader pulls JSON messages one at a time from sub (trickle.ReadJSON as
// a pull iterator); Close stops it and closes sub.
type jsonReader struct {
	next func() (json.RawMessage, error, bool)
	stop func()
	sub  *trickle.Subscriber
}

func newJSONReader(ctx context.Context, sub *trickle.Subscriber) *jsonReader {
	next, stop := iter.Pull2(trickle.ReadJSON(ctx, sub, 0))
	return &jsonReader{next: next, stop: stop, sub: sub}
}

// Next returns the next message, or the error that ended the stream
// (io.EOF at its clean end).
func (r *jsonReader) Next(context.Context) (json.RawMessage, error) {
	msg, err, ok := r.next()
	if !ok {
		return nil, io.EOF
	}
	return msg, err
}

func (r *jsonReader) Close() error { r.stop(); return r.sub.Close() }
