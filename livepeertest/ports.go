package livepeertest

import (
	"fmt"
	"net"
	"strconv"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Ports fixes the loopback ports a Network listens on, for programs in
// other languages that hardcode them (the lpgw devnet's --port-base).
// A zero port is chosen by the system, as without Ports.
type Ports struct {
	// Signer is the remote signer's port (Network.SignerURL).
	Signer int
	// Discovery is the discovery endpoint's port (Network.DiscoveryURL).
	Discovery int
	// Orchestrators[i] is orchestrator i's port (gRPC and HTTP share it);
	// orchestrators past the end of the slice get a system-chosen port.
	Orchestrators []int
}

// validate refuses ports outside 0..65535.
func (p Ports) validate() error {
	check := func(field string, port int) error {
		if port < 0 || port > 65535 {
			return fmt.Errorf("livepeertest: NetworkConfig.Ports.%s %d is not a TCP port: %w", field, port, lperr.ErrInvalidConfig)
		}
		return nil
	}
	if err := check("Signer", p.Signer); err != nil {
		return err
	}
	if err := check("Discovery", p.Discovery); err != nil {
		return err
	}
	for i, port := range p.Orchestrators {
		if err := check(fmt.Sprintf("Orchestrators[%d]", i), port); err != nil {
			return err
		}
	}
	return nil
}

// orchestrator returns orchestrator i's port (0: any).
func (p Ports) orchestrator(i int) int {
	if i < len(p.Orchestrators) {
		return p.Orchestrators[i]
	}
	return 0
}

// listenLoopback listens on 127.0.0.1:port (0: a port the system picks).
func listenLoopback(port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}
