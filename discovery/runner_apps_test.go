package discovery

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunnerServes(t *testing.T) {
	rs := json.RawMessage(`[{"url":"u","app":"a/b"},{"url":"v","app":" c/d "}]`)
	require.True(t, RunnerServes(rs, "a/b"))
	require.True(t, RunnerServes(rs, "c/d"))
	require.False(t, RunnerServes(rs, "a/c"))
	require.False(t, RunnerServes(nil, "a/b"))
	require.False(t, RunnerServes(json.RawMessage(`{"app":"a/b"}`), "a/b"))
	require.False(t, RunnerServes(rs, ""))
}

// A discovery endpoint in the signer's shape: an address listed for the
// capability only through a runner is left out.
func TestEndpointLeavesOutRunnerOnlyCapabilities(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`[{"address":"runner-only:1","runners":[{"url":"u","app":"live-video-to-video/scope"}]},{"address":"real:1"}]`))
	}))
	defer srv.Close()
	e, err := NewEndpoint(srv.URL, EndpointConfig{})
	require.NoError(t, err)
	want, err := ParseCapability("live-video-to-video/scope")
	require.NoError(t, err)
	addrs, err := e.Orchestrators(context.Background(), &want)
	require.NoError(t, err)
	require.Equal(t, []string{"real:1"}, addrs)
	all, err := e.Orchestrators(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"runner-only:1", "real:1"}, all, "no capability asked: every address")
}
