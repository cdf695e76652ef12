package signer

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

const testAddr = "0x1111111111111111111111111111111111111111"

func TestSignOrchestratorInfoWireAndCache(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 200, map[string]string{"address": testAddr, "signature": "0x0102"})
	})
	c := fastClient(t, []string{f.URL + "/api/signer"}, func(c *Config) { c.Headers = http.Header{"Authorization": {"Bearer k"}} })
	sig, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, mustParse(testAddr), sig.Address)
	assert.Equal(t, []byte{1, 2}, sig.Signature)
	assert.Equal(t, f.URL+"/api/signer", sig.Signer)
	assert.False(t, sig.IsZero())

	sig.Signature[0] = 9 // the cache hands out copies
	sig2, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2}, sig2.Signature)

	reqs := f.requests()
	require.Len(t, reqs, 1, "the answer is cached")
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/api/signer/sign-orchestrator-info", reqs[0].Path)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	assert.Equal(t, "Bearer k", reqs[0].Header.Get("Authorization"))
	assert.JSONEq(t, `{}`, string(reqs[0].Body))
}

func TestSignOrchestratorInfoFailureNotCached(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		if n == 1 {
			jsonError(w, 401, "bad key")
			return
		}
		writeJSON(w, 200, map[string]string{"address": testAddr, "signature": "0x01"})
	})
	c := fastClient(t, []string{f.URL})
	_, err := c.SignOrchestratorInfo(context.Background())
	require.ErrorIs(t, err, lperr.ErrUnauthorized)
	assert.Contains(t, err.Error(), "check the signer headers")
	sig, err := c.SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, mustParse(testAddr), sig.Address)
	assert.EqualValues(t, 2, f.hits.Load())
}

func TestDecodeRequestSignatureErrors(t *testing.T) {
	cases := map[string]string{
		"not json":      `nope`,
		"list":          `[]`,
		"null":          `null`,
		"missing addr":  `{"signature":"0x01"}`,
		"addr number":   `{"address":5,"signature":"0x01"}`,
		"addr not hex":  `{"address":"0xzz","signature":"0x01"}`,
		"addr short":    `{"address":"0x1111","signature":"0x01"}`,
		"addr odd":      `{"address":"0x111111111111111111111111111111111111111","signature":"0x01"}`,
		"missing sig":   `{"address":"` + testAddr + `"}`,
		"empty sig":     `{"address":"` + testAddr + `","signature":"0x"}`,
		"sig not hex":   `{"address":"` + testAddr + `","signature":"0xgg"}`,
		"sig wrong typ": `{"address":"` + testAddr + `","signature":{}}`,
	}
	for name, body := range cases {
		_, err := DecodeRequestSignature([]byte(body))
		var de *DecodeError
		require.ErrorAs(t, err, &de, name)
		assert.Equal(t, pathSignOrchInfo, de.Op, name)
	}
	got, err := DecodeRequestSignature([]byte(`{"address":"1111111111111111111111111111111111111111","signature":"AbCd"}`))
	require.NoError(t, err)
	assert.Equal(t, []byte{0xab, 0xcd}, got.Signature)
}

func TestSignOrchestratorInfoBadAnswerIsTyped(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		w.Write([]byte(`<html>hello</html>`))
	})
	c := fastClient(t, []string{f.URL})
	_, err := c.SignOrchestratorInfo(context.Background())
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, f.URL, se.Signer)
}

func TestOffchainSignOrchestratorInfo(t *testing.T) {
	sig, err := Offchain().SignOrchestratorInfo(context.Background())
	require.NoError(t, err)
	assert.True(t, sig.IsZero())
	assert.Equal(t, eth.Address{}, sig.Address)
}

func mustParse(s string) eth.Address {
	a, err := eth.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}
