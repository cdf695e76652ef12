package livepeertest

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	return ports
}

// Fixed ports put the signer, the discovery endpoint and each listed
// orchestrator where they were asked to be; an unlisted orchestrator
// gets a system-chosen port.
func TestNetworkFixedPorts(t *testing.T) {
	checkNoLeak(t)
	var n *Network
	var p []int
	for attempt := 0; ; attempt++ { // another process may take a port in between
		p = freePorts(t, 3)
		var err error
		n, err = NewNetwork(NetworkConfig{Orchestrators: 2, Ports: Ports{Signer: p[0], Discovery: p[1], Orchestrators: p[2:]}})
		if err == nil {
			break
		}
		require.True(t, errors.Is(err, syscall.EADDRINUSE) && attempt < 5, "%v", err)
	}
	defer n.Close()
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(p[0]), n.SignerURL())
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(p[1])+"/discover-orchestrators", n.DiscoveryURL())
	addrs := n.OrchestratorAddrs()
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(p[2]), addrs[0])
	require.True(t, strings.HasPrefix(addrs[1], "127.0.0.1:"))
	require.NotEqual(t, addrs[0], addrs[1])

	// A taken port fails the start and leaves nothing running.
	_, err := NewNetwork(NetworkConfig{Orchestrators: 1, Ports: Ports{Signer: p[0]}})
	require.ErrorIs(t, err, syscall.EADDRINUSE)
}

func TestNetworkPortsValidated(t *testing.T) {
	for _, ports := range []Ports{{Signer: -1}, {Discovery: 70000}, {Orchestrators: []int{0, -5}}} {
		_, err := NewNetwork(NetworkConfig{Orchestrators: 1, Ports: ports})
		require.ErrorIs(t, err, lperr.ErrInvalidConfig, "%+v", ports)
	}
}
