package signer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
)

func TestGenerateLivePaymentWire(t *testing.T) {
	// State with odd spacing and HTML-ish characters must come back byte for byte.
	state := json.RawMessage(`{ "State" : "eyJhIjoxfQ==",  "Sig":"c2ln", "x":"<&>" }`)
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"payment":"cGF5","segCreds":"c2Vn","state":` + string(state) + `}`))
	})
	c := fastClient(t, []string{f.URL}, func(c *Config) { c.Headers = http.Header{"X-Api-Key": {"k"}} })
	capability := &discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}
	caps := lpnet.CapabilitiesFor(35, "noop")
	info := testInfo()

	// First call: no state, no manifest id.
	resp, err := c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: info, Type: TypeLV2V, Capability: capability})
	require.NoError(t, err)
	assert.Equal(t, "cGF5", resp.Payment)
	assert.Equal(t, "c2Vn", resp.SegCreds)
	assert.Equal(t, string(state), string(resp.State))
	assert.Equal(t, f.URL, resp.Signer)

	// Second call: echo state, manifest id, units, app, max price.
	_, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{
		Orchestrator: info, State: resp.State, ManifestID: "m1", Type: TypeUnits, InPixels: 120,
		App: "app1", MaxPrice: &MaxPrice{Price: "0.5", Currency: "wei", Unit: "seconds"},
	})
	require.NoError(t, err)

	reqs := f.requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/generate-live-payment", r.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "k", r.Header.Get("X-Api-Key"))
	}
	var first map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(reqs[0].Body, &first))
	assert.ElementsMatch(t, []string{"orchestrator", "type", "capabilities"}, keys(first))
	assert.JSONEq(t, `"lv2v"`, string(first["type"]))
	var orchB64, capsB64 string
	require.NoError(t, json.Unmarshal(first["orchestrator"], &orchB64))
	require.NoError(t, json.Unmarshal(first["capabilities"], &capsB64))
	raw, err := base64.StdEncoding.DecodeString(orchB64)
	require.NoError(t, err)
	var gotInfo lpnet.OrchestratorInfo
	require.NoError(t, proto.Unmarshal(raw, &gotInfo))
	assert.True(t, proto.Equal(testInfoProto(), &gotInfo))
	raw, err = base64.StdEncoding.DecodeString(capsB64)
	require.NoError(t, err)
	var gotCaps lpnet.Capabilities
	require.NoError(t, proto.Unmarshal(raw, &gotCaps))
	assert.True(t, proto.Equal(caps, &gotCaps))

	var second map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(reqs[1].Body, &second))
	assert.ElementsMatch(t, []string{"orchestrator", "state", "ManifestID", "inPixels", "app", "maxPrice"}, keys(second))
	assert.True(t, strings.Contains(string(reqs[1].Body), `"state":`+string(state)), "state spliced verbatim: %s", reqs[1].Body)
	assert.JSONEq(t, `"m1"`, string(second["ManifestID"]))
	assert.JSONEq(t, `120`, string(second["inPixels"]))
	assert.JSONEq(t, `"app1"`, string(second["app"]))
	assert.Equal(t, `{"price":0.5,"currency":"wei","unit":"seconds"}`, string(second["maxPrice"]))
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestGenerateLivePaymentBadRequest(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) { w.Write([]byte(goodPaymentBody)) })
	c := fastClient(t, []string{f.URL})
	_, err := c.GenerateLivePayment(context.Background(), nil)
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	_, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{})
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	_, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: testInfo(), State: json.RawMessage(`[1]`)})
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	_, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: testInfo(), MaxPrice: &MaxPrice{Price: "abc"}})
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	assert.EqualValues(t, 0, f.hits.Load(), "bad requests never reach the signer")
}

func TestGenerateLivePaymentStatusMapping(t *testing.T) {
	cases := []struct {
		name   string
		status int
		msg    string
		kind   error
		hint   string
	}{
		{"refresh", 480, "refresh session for remote signer", lperr.ErrRefreshSession, "GetOrchestrator"},
		{"price", 481, "orchestrator price 3 exceeds request maxPrice ceiling 1", lperr.ErrPriceExceeded, "maximum price"},
		{"no tickets", 482, "no tickets", lperr.ErrNoTicketsNeeded, "skip"},
		{"balance 483", 483, "spending cap reached", lperr.ErrInsufficientBalance, "top up"},
		{"payment required", 402, "pay up", lperr.ErrInsufficientBalance, "top up"},
		{"no deposit", 400, "remote signer could not check whether to refresh session: no sender deposit", lperr.ErrInsufficientBalance, "top up"},
		{"no reserve", 400, "remote signer could not check whether to refresh session: no sender reserve", lperr.ErrInsufficientBalance, "top up"},
		{"unlock", 400, "unable to validate sender: deposit and reserve is set to unlock soon", lperr.ErrInsufficientBalance, "top up"},
		{"insufficient", 400, "Insufficient funds", lperr.ErrInsufficientBalance, "top up"},
		{"other 400", 400, "invalid sig", lperr.ErrPaymentFailed, ""},
		{"unauthorized", 401, "nope", lperr.ErrUnauthorized, "signer headers"},
		{"forbidden", 403, "nope", lperr.ErrUnauthorized, "signer headers"},
		{"webhook 418", 418, "teapot", lperr.ErrPaymentFailed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
				if tc.status == 480 {
					w.Header().Set(HeaderOrchestratorURL, "https://orch.example:8935")
				}
				jsonError(w, tc.status, tc.msg)
			})
			c := fastClient(t, []string{f.URL})
			_, err := c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: testInfo(), Type: TypeLV2V})
			require.ErrorIs(t, err, tc.kind)
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, f.URL, se.Signer)
			var ae *lperr.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.status, ae.StatusCode)
			assert.Equal(t, tc.msg, ae.Message)
			assert.Equal(t, f.URL+"/generate-live-payment", ae.URL)
			assert.Contains(t, err.Error(), tc.hint)
			if tc.status == 480 {
				assert.Equal(t, "https://orch.example:8935", se.OrchestratorURL)
			}
			assert.EqualValues(t, 1, f.hits.Load(), "4xx answers are not retried")
		})
	}
}

func TestDecodePaymentResponseErrors(t *testing.T) {
	cases := map[string]string{
		"not json":         `{`,
		"list":             `[]`,
		"string":           `"x"`,
		"missing payment":  `{"state":{}}`,
		"empty payment":    `{"payment":"","state":{}}`,
		"payment number":   `{"payment":1,"state":{}}`,
		"payment not b64":  `{"payment":"!!","state":{}}`,
		"segCreds not b64": `{"payment":"cGF5","segCreds":"%%","state":{}}`,
		"segCreds number":  `{"payment":"cGF5","segCreds":3,"state":{}}`,
		"missing state":    `{"payment":"cGF5"}`,
		"null state":       `{"payment":"cGF5","state":null}`,
		"string state":     `{"payment":"cGF5","state":"abc"}`,
		"list state":       `{"payment":"cGF5","state":[1]}`,
	}
	for name, body := range cases {
		_, err := DecodePaymentResponse([]byte(body))
		var de *DecodeError
		require.ErrorAs(t, err, &de, name)
		assert.Equal(t, pathLivePayment, de.Op, name)
	}
	r, err := DecodePaymentResponse([]byte(`{"payment":"cGF5","state":{}}`))
	require.NoError(t, err)
	assert.Equal(t, "", r.SegCreds)
	assert.Equal(t, "{}", string(r.State))
}

func TestOffchainPayment(t *testing.T) {
	c := Offchain()
	info := testInfo()
	resp, err := c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: info, Type: TypeLV2V})
	require.NoError(t, err)
	assert.Equal(t, "", resp.Payment)
	assert.Nil(t, resp.State)
	raw, err := base64.StdEncoding.DecodeString(resp.SegCreds)
	require.NoError(t, err)
	var seg lpnet.SegData
	require.NoError(t, proto.Unmarshal(raw, &seg))
	assert.True(t, proto.Equal(testInfoProto().AuthToken, seg.AuthToken))
	assert.Empty(t, seg.ManifestId)

	resp, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: info, Type: TypeUnits, InPixels: 60})
	require.NoError(t, err)
	assert.Equal(t, &PaymentResponse{}, resp)
	resp, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: info, Type: TypeUnits, InPixels: 60,
		Capability: &discovery.Capability{ID: discovery.CapBYOC, Model: "text-reversal"}})
	require.NoError(t, err)
	assert.Equal(t, &PaymentResponse{}, resp, "BYOC takes no seg creds")

	// A batch AI request (units with an AI capability) needs the auth token.
	resp, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: info, Type: TypeUnits, InPixels: 60,
		ManifestID: "27_m", Capability: &discovery.Capability{ID: discovery.CapTextToImage, Model: "m"}})
	require.NoError(t, err)
	assert.Equal(t, "", resp.Payment)
	raw, err = base64.StdEncoding.DecodeString(resp.SegCreds)
	require.NoError(t, err)
	seg.Reset()
	require.NoError(t, proto.Unmarshal(raw, &seg))
	assert.True(t, proto.Equal(testInfoProto().AuthToken, seg.AuthToken))

	noToken := testInfoProto()
	noToken.AuthToken = nil
	info, err = orchinfo.FromProto("o:1", noToken)
	require.NoError(t, err)
	_, err = c.GenerateLivePayment(context.Background(), &PaymentRequest{Orchestrator: info, Type: TypeLV2V})
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	assert.Contains(t, err.Error(), "orchestrator did not provide an auth token")
}
