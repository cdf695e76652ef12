package discovery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func TestEndpoint(t *testing.T) {
	var gotQuery, gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery, gotKey = r.URL.RawQuery, r.Header.Get("X-Key")
		assert.Equal(t, "/orchs", r.URL.Path)
		_, _ = w.Write([]byte(`[{"address":" https://a:1 ","score":1,"capabilities":["live-video-to-video/sd"]},{"address":""},{"nope":1},7,"x",{"address":5},{"address":"b:2"}]`))
	}))
	defer srv.Close()
	e, err := NewEndpoint("DiscoveryURL", srv.URL+"/orchs?region=eu", EndpointOptions{Headers: map[string]string{"X-Key": "k"}})
	require.NoError(t, err)
	addrs, err := e.Orchestrators(context.Background(), &Capability{CapLiveVideoToVideo, "sd"})
	require.NoError(t, err)
	require.Equal(t, []string{"https://a:1", "b:2"}, addrs)
	require.Equal(t, "region=eu&caps=live-video-to-video/sd", gotQuery)
	require.Equal(t, "k", gotKey)

	_, err = e.Orchestrators(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, "region=eu", gotQuery)
	require.Equal(t, srv.URL+"/orchs", e.String())
}

func TestEndpointErrors(t *testing.T) {
	var calls atomic.Int32
	status := http.StatusServiceUnavailable
	body := `{"error":{"message":"cache empty"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	e, err := NewEndpoint("DiscoveryURL", srv.URL, EndpointOptions{MaxRetries: 1})
	require.NoError(t, err)
	ctx := context.Background()

	_, err = e.Orchestrators(ctx, nil)
	require.ErrorIs(t, err, ErrDiscoveryUnavailable)
	var api *lperr.APIError
	require.ErrorAs(t, err, &api)
	require.Equal(t, 503, api.StatusCode)
	require.Equal(t, "cache empty", api.Message)
	require.EqualValues(t, 2, calls.Load(), "one retry")

	status = http.StatusForbidden
	_, err = e.Orchestrators(ctx, nil)
	require.ErrorIs(t, err, lperr.ErrUnauthorized)
	require.False(t, errors.Is(err, ErrDiscoveryUnavailable))

	status, body = 200, `{"address":"a:1"}`
	_, err = e.Orchestrators(ctx, nil)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, srv.URL, de.URL)

	dead, err := NewEndpoint("DiscoveryURL", "http://"+deadAddr(t), EndpointOptions{MaxRetries: -1})
	require.NoError(t, err)
	_, err = dead.Orchestrators(ctx, nil)
	require.ErrorIs(t, err, ErrDiscoveryUnavailable)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.Orchestrators(cctx, nil)
	require.ErrorIs(t, err, context.Canceled)

	for _, bad := range []string{"", "ftp://x", "https://", "http://[::1"} {
		_, err := NewEndpoint("DiscoveryURL", bad, EndpointOptions{})
		require.ErrorIs(t, err, ErrInvalidConfig, bad)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "DiscoveryURL", ce.Field)
	}
	_, err = NewEndpoint("DiscoveryURL", "x", EndpointOptions{MaxRetries: -2})
	require.ErrorIs(t, err, ErrInvalidConfig)
	e2, err := NewEndpoint("DiscoveryURL", "disc.example/list", EndpointOptions{})
	require.NoError(t, err)
	require.Equal(t, "https://disc.example/list", e2.String())
}

func TestDecodeAddresses(t *testing.T) {
	got, err := DecodeAddresses([]byte(`[]`))
	require.NoError(t, err)
	require.Empty(t, got)
	for _, bad := range []string{``, `null`, `{}`, `"x"`, `[`, `1`} {
		_, err := DecodeAddresses([]byte(bad))
		var de *DecodeError
		require.ErrorAs(t, err, &de, bad)
	}
}

func FuzzDecodeAddresses(f *testing.F) {
	for _, s := range []string{`[]`, `[{"address":"a:1"}]`, `null`, `{"address":"a"}`, `[{"address":1},[],null,"x"]`, `[{"address":" "}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		addrs, err := DecodeAddresses(body)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		for _, a := range addrs {
			if a == "" {
				t.Fatal("empty address")
			}
		}
	})
}

func TestSources(t *testing.T) {
	l := List([]string{" a:1 ", "", "  ", "b:2"})
	got, err := l.Orchestrators(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"a:1", "b:2"}, got)
	got[0] = "changed"
	again, _ := l.Orchestrators(context.Background(), nil)
	require.Equal(t, "a:1", again[0])
	require.Equal(t, "orchestrator list (2)", l.String())

	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/discover-orchestrators", r.URL.Path)
		assert.Equal(t, "secret", r.Header.Get("Authorization"))
		gotQuery = r.URL.RawQuery
		_, _ = w.Write([]byte(`[{"address":"https://o:1","score":0.5,"capabilities":[]}]`))
	}))
	defer srv.Close()
	sc, err := signer.New([]string{srv.URL}, signer.WithHeaderMap(map[string]string{"Authorization": "secret"}))
	require.NoError(t, err)
	s := FromSigner(sc)
	got, err = s.Orchestrators(context.Background(), &Capability{CapLiveVideoToVideo, "sd"})
	require.NoError(t, err)
	require.Equal(t, []string{"https://o:1"}, got)
	require.Equal(t, "caps=live-video-to-video/sd", gotQuery)
	_, err = s.Orchestrators(context.Background(), &Capability{CapBYOC, "echo"})
	require.NoError(t, err)
	require.Empty(t, gotQuery, "BYOC capabilities are not discovery keys on go-livepeer")
	require.Contains(t, s.String(), srv.URL)

	_, err = FromSigner(signer.Offchain()).Orchestrators(context.Background(), nil)
	require.ErrorIs(t, err, signer.ErrNoSigner)
}
