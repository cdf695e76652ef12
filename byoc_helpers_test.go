package livepeer

import (
	"math/big"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// byocEnv is an in-process network whose orchestrators serve BYOC jobs.
type byocEnv struct {
	net     *livepeertest.Network
	servers []*livepeertest.BYOCServer
	gw      *Gateway
}

type byocEnvConfig struct {
	offchain bool
	orchs    int
	price    int64 // wei per second of the "text-reversal" and "stream" capabilities
	capacity int
	cfg      livepeertest.BYOCConfig
	budget   *big.Int                // the signer's budget; nil is unlimited
	workers  map[string]http.Handler // capability → worker (same worker on every orchestrator)
	pool     discovery.PoolOptions   // the Gateway's pool options
}

func newBYOCEnv(t *testing.T, c byocEnvConfig) *byocEnv {
	t.Helper()
	if c.orchs == 0 {
		c.orchs = 2
	}
	var caps []livepeertest.CapabilitySpec
	for name := range c.workers {
		caps = append(caps, livepeertest.CapabilitySpec{Name: "byoc/" + name, PricePerUnit: c.price, Capacity: 4})
	}
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: c.orchs, Offchain: c.offchain, Capabilities: caps, SignerBalance: c.budget})
	require.NoError(t, err)
	e := &byocEnv{net: n}
	t.Cleanup(func() {
		for _, s := range e.servers {
			_ = s.Close()
		}
		n.Close()
	})
	for _, o := range n.Orchestrators() {
		s := livepeertest.EnableBYOC(o, c.cfg)
		e.servers = append(e.servers, s)
		for name, h := range c.workers {
			_, err := s.ServeWorker(name, c.capacity, h)
			require.NoError(t, err)
		}
	}
	e.gw, err = NewGateway(Config{Token: n.Token(), Pool: c.pool})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.gw.Close() })
	return e
}

// jobs sums the jobs the orchestrators forwarded to workers.
func (e *byocEnv) jobs() int {
	n := 0
	for _, s := range e.servers {
		n += s.Jobs()
	}
	return n
}
