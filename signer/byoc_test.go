package signer

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

func TestSignBYOCJobWire(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]string{"sender": testAddr, "signature": "0xabcd"})
	})
	c := fastClient(t, []string{f.URL + "/base"})
	sig, err := c.SignBYOCJob(context.Background(), &BYOCJob{ID: "j1", Capability: "text-reversal", Request: `{"a":1}`, Parameters: `{}`, TimeoutSeconds: 30})
	require.NoError(t, err)
	assert.Equal(t, &BYOCSignature{Sender: testAddr, Signature: "0xabcd", Signer: f.URL + "/base"}, sig)
	reqs := f.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/base/sign-byoc-job", reqs[0].Path)
	var body map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	assert.ElementsMatch(t, []string{"id", "capability", "request", "parameters", "timeout_seconds"}, keys(body))
	assert.JSONEq(t, `{"id":"j1","capability":"text-reversal","request":"{\"a\":1}","parameters":"{}","timeout_seconds":30}`, string(reqs[0].Body))
}

func TestSignBYOCJobUnsupported(t *testing.T) {
	for _, st := range []int{404, 405} {
		f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
			http.Error(w, "404 page not found", st)
		})
		c := fastClient(t, []string{f.URL})
		_, err := c.SignBYOCJob(context.Background(), &BYOCJob{ID: "j", Capability: "c", TimeoutSeconds: 1})
		require.ErrorIs(t, err, ErrBYOCSigningUnsupported)
		assert.Contains(t, err.Error(), "local key")
	}
}

func TestSignBYOCJobErrors(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		w.Write([]byte(`{"sender":"0x12","signature":"0xab"}`))
	})
	c := fastClient(t, []string{f.URL})
	_, err := c.SignBYOCJob(context.Background(), &BYOCJob{ID: "j", Capability: "c"})
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	_, err = c.SignBYOCJob(context.Background(), &BYOCJob{Capability: "c"})
	require.ErrorIs(t, err, lperr.ErrPaymentFailed)
	_, err = Offchain().SignBYOCJob(context.Background(), &BYOCJob{ID: "j", Capability: "c"})
	require.ErrorIs(t, err, ErrNoSigner)

	for name, body := range map[string]string{
		"not json": `x`, "missing sender": `{"signature":"0x01"}`, "bad sig": `{"sender":"` + testAddr + `","signature":"zz"}`,
		"missing sig": `{"sender":"` + testAddr + `"}`, "empty sig": `{"sender":"` + testAddr + `","signature":""}`,
	} {
		_, err := DecodeBYOCSignature([]byte(body))
		require.ErrorAs(t, err, &de, name)
	}
}
