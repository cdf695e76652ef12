package livepeer

import (
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// orchTransport returns a fresh HTTP transport for orchestrators (jobs,
// payments, trickle channels: lphttp.NewOrchestratorTransport) that checks
// Config.OrchestratorPins when set. The caller owns it.
func (g *Gateway) orchTransport() *http.Transport {
	tr := lphttp.NewOrchestratorTransport()
	orchtls.Apply(tr, g.set.pins)
	return tr
}
