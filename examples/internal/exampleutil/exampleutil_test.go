package exampleutil

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func TestGatewayFromFlagsOrInProcess(t *testing.T) {
	var stderr bytes.Buffer
	fs, f := NewFlagSet("ex", "[addr ...]", "Does things.", &stderr)
	require.NotNil(t, fs)
	require.NoError(t, f.Parse(nil))
	var cleaned atomic.Bool
	env, err := f.Gateway(livepeer.Config{}, InProcess{
		Network: livepeertest.NetworkConfig{Orchestrators: 1},
		Setup:   func(*livepeertest.Network) (func(), error) { return func() { cleaned.Store(true) }, nil },
	}, &stderr)
	require.NoError(t, err)
	require.NotNil(t, env.Network, "no source: the in-process network")
	infos, err := env.Gateway.Orchestrators(context.Background(), "live-video-to-video/noop")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	env.Close()
	require.True(t, cleaned.Load())
	require.Contains(t, stderr.String(), "in-process network")

	// Addresses as arguments, and the signer flag, reach the Gateway.
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 2})
	require.NoError(t, err)
	defer n.Close()
	_, f = NewFlagSet("ex", "", "", &stderr)
	require.NoError(t, f.Parse(append([]string{"-signer", n.SignerURL(), "-timeout", "30s"}, n.OrchestratorAddrs()[0])))
	env, err = f.Gateway(livepeer.Config{}, InProcess{}, &stderr)
	require.NoError(t, err)
	defer env.Close()
	require.Nil(t, env.Network)
	require.IsType(t, &discovery.ListSource{}, env.Gateway.Source())
	require.False(t, env.Gateway.Signer().Offchain())
	ctx, cancel := f.Context(context.Background())
	defer cancel()
	dl, ok := ctx.Deadline()
	require.True(t, ok, "-timeout bounds the run")
	require.WithinDuration(t, time.Now().Add(30*time.Second), dl, 5*time.Second)

	_, f = NewFlagSet("ex", "", "", &stderr)
	require.NoError(t, f.Parse([]string{"-discovery", n.DiscoveryURL()}))
	env2, err := f.Gateway(livepeer.Config{}, InProcess{}, &stderr)
	require.NoError(t, err)
	defer env2.Close()
	require.IsType(t, &discovery.Endpoint{}, env2.Gateway.Source())
}

func TestUsageSaysWhatAndDefault(t *testing.T) {
	var stderr bytes.Buffer
	_, f := NewFlagSet("ex", "[addr ...]", "Does the thing.", &stderr)
	require.True(t, IsHelp(f.Parse([]string{"-h"})))
	u := stderr.String()
	require.True(t, strings.HasPrefix(u, "Usage: ex [flags] [addr ...]\n\nDoes the thing."), u)
	require.Contains(t, u, "in-process Livepeer network")
	require.Contains(t, u, "-timeout")
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	var n atomic.Int32
	stop := Progress(&buf, time.Millisecond, func() string { n.Add(1); return "tick" })
	require.Eventually(t, func() bool { return n.Load() >= 2 }, 5*time.Second, time.Millisecond)
	stop()
	stop()
	got := n.Load()
	require.Contains(t, buf.String(), "tick\n")
	time.Sleep(5 * time.Millisecond)
	require.Equal(t, got, n.Load(), "no line after stop")
}
