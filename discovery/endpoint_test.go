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
)

func TestEndpoint(t *testing.T) {
	var gotQuery, gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery, gotKey = r.URL.RawQuery, r.Header.Get("X-Key")
		assert.Equal(t, "/orchs", r.URL.Path)
		_, _ = w.Write([]byte(`[{"address":" https://a:1 ","score":1,"capabilities":["live-video-to-video/sd"]},{"address":""},{"nope":1},7,"x",{"address":5},{"address":"b:2"}]`))
	}))
	defer srv.Close()
	e, err := NewEndpoint(srv.URL+"/orchs?region=eu", EndpointConfig{Headers: map[string]string{"X-Key": "k"}})
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
	e, err := NewEndpoint(srv.URL, EndpointConfig{MaxRetries: 1})
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

	dead, err := NewEndpoint("http://"+deadAddr(t), EndpointConfig{MaxRetries: -1})
	require.NoError(t, err)
	_, err = dead.Orchestrators(ctx, nil)
	require.ErrorIs(t, err, ErrDiscoveryUnavailable)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.Orchestrators(cctx, nil)
	require.ErrorIs(t, err, context.Canceled)

	for _, bad := range []string{"", "ftp://x", "https://", "http://[::1"} {
		_, err := NewEndpoint(bad, EndpointConfig{})
		require.ErrorIs(t, err, lperr.ErrInvalidConfig, bad)
		var ce *lperr.ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "URL", ce.Field)
	}
	_, err = NewEndpoint("x", EndpointConfig{MaxRetries: -2})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	e2, err := NewEndpoint("disc.example/list", EndpointConfig{})
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

}
