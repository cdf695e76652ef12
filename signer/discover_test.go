package signer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

func TestDiscoverOrchestrators(t *testing.T) {
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		w.Write([]byte(`[
		 {"address":"https://o2:8935","score":1,"capabilities":["live-video-to-video/noop"],"runners":[{"url":"r"}]},
		 {"address":"","score":1},
		 {"score":1},
		 "junk",
		 {"address":7},
		 {"address":" https://o1:8935 ","capabilities":[1,"x"]}
		]`))
	})
	c := fastClient(t, []string{f.URL + "/s"})
	list, err := c.DiscoverOrchestrators(context.Background(), []string{"live-video-to-video/noop", "", "byoc/text-reversal"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "https://o2:8935", list[0].Address)
	assert.Equal(t, 1.0, list[0].Score)
	assert.Equal(t, []string{"live-video-to-video/noop"}, list[0].Capabilities)
	assert.JSONEq(t, `[{"url":"r"}]`, string(list[0].Runners))
	assert.Equal(t, "https://o1:8935", list[1].Address)
	assert.Equal(t, []string{"x"}, list[1].Capabilities)

	reqs := f.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, "/s/discover-orchestrators", reqs[0].Path)
	assert.Equal(t, "caps=live-video-to-video/noop&caps=byoc/text-reversal", reqs[0].RawQuery)
	assert.Empty(t, reqs[0].Header.Get("Content-Type"))
}

func TestDiscoverOrchestratorsErrors(t *testing.T) {
	for _, body := range []string{`{"address":"x"}`, `"x"`, `nope`, `null`} {
		f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, _ []byte) { w.Write([]byte(body)) })
		c := fastClient(t, []string{f.URL})
		_, err := c.DiscoverOrchestrators(context.Background(), nil)
		var de *DecodeError
		if body == `null` {
			// JSON null decodes as an empty list.
			require.NoError(t, err)
			continue
		}
		require.ErrorAs(t, err, &de, body)
	}
	f := newFakeSigner(t, func(n int, w http.ResponseWriter, r *http.Request, _ []byte) { http.NotFound(w, r) })
	c := fastClient(t, []string{f.URL})
	_, err := c.DiscoverOrchestrators(context.Background(), nil)
	var ae *lperr.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 404, ae.StatusCode)
	assert.Contains(t, err.Error(), "-remoteDiscovery")

	_, err = Offchain().DiscoverOrchestrators(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoSigner)
}

func TestDecodeOrchestratorsKeepsOrder(t *testing.T) {
	in := []map[string]any{}
	for _, a := range []string{"c", "a", "b"} {
		in = append(in, map[string]any{"address": a})
	}
	b, _ := json.Marshal(in)
	out, err := DecodeOrchestrators(b)
	require.NoError(t, err)
	assert.Equal(t, "c", out[0].Address)
	assert.Equal(t, "a", out[1].Address)
	assert.Equal(t, "b", out[2].Address)
}

func TestSource(t *testing.T) {
	var _ discovery.Source = NewSource(Offchain())
	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/discover-orchestrators", r.URL.Path)
		assert.Equal(t, "secret", r.Header.Get("Authorization"))
		gotQuery = r.URL.RawQuery
		_, _ = w.Write([]byte(`[{"address":"https://o:1","score":0.5,"capabilities":[]}]`))
	}))
	defer srv.Close()
	sc, err := New(Config{URLs: []string{srv.URL}, Headers: http.Header{"Authorization": {"secret"}}})
	require.NoError(t, err)
	s := NewSource(sc)
	got, err := s.Orchestrators(context.Background(), &discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "sd"})
	require.NoError(t, err)
	require.Equal(t, []string{"https://o:1"}, got)
	require.Equal(t, "caps=live-video-to-video/sd", gotQuery)
	_, err = s.Orchestrators(context.Background(), &discovery.Capability{ID: discovery.CapBYOC, Model: "echo"})
	require.NoError(t, err)
	require.Empty(t, gotQuery, "BYOC capabilities are not discovery keys on go-livepeer")
	require.Contains(t, s.String(), srv.URL)

	_, err = NewSource(Offchain()).Orchestrators(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoSigner)
}
