package signer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// go-livepeer's signer adds each runner's app to its address's capability
// list: an address listed for live-video-to-video/scope only through a
// runner must not be asked GetOrchestrator for that capability.
func TestSourceLeavesOutRunnerOnlyCapabilities(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, []string{"live-video-to-video/scope"}, r.URL.Query()["caps"])
		_, _ = w.Write([]byte(`[
			{"address":"https://runner-only:1","capabilities":["live-video-to-video/scope"],"runners":[{"url":"https://runner-only:1/apps/r/session","app":"live-video-to-video/scope"}]},
			{"address":"https://real:1","capabilities":["live-video-to-video/scope","live-video-to-video/noop"]},
			{"address":"https://other-runner:1","capabilities":["live-video-to-video/scope","x/y"],"runners":[{"url":"https://other-runner:1/apps/q/session","app":"x/y"}]}
		]`))
	}))
	defer srv.Close()
	c, err := New(Config{URLs: []string{srv.URL}})
	require.NoError(t, err)
	want, err := discovery.ParseCapability("live-video-to-video/scope")
	require.NoError(t, err)
	addrs, err := NewSource(c).Orchestrators(context.Background(), &want)
	require.NoError(t, err)
	require.Equal(t, []string{"https://real:1", "https://other-runner:1"}, addrs)
}
