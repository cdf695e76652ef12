// Package lphttp defines, once, the HTTP names of go-livepeer's wire
// protocol that more than one package uses (headers of payments, BYOC jobs
// and live streams), and the HTTP transport gateways use to reach
// orchestrators. Public packages re-export the names their callers need
// (payment.HeaderPayment, byoc.HeaderJob, signer.HeaderOrchestratorURL...).
package lphttp

import (
	"crypto/tls"
	"net/http"
)

// Header names. Sources: go-livepeer server/segment_rpc.go (payment
// headers), byoc/types.go (BYOC job headers), server/remote_signer.go
// (Livepeer-Orchestrator-URL), byoc/stream_orchestrator.go (X-*-Url).
const (
	HeaderPayment         = "Livepeer-Payment"          // base64 net.Payment (tickets)
	HeaderSegment         = "Livepeer-Segment"          // base64 net.SegData (seg creds)
	HeaderJob             = "Livepeer"                  // base64 JSON BYOC job request
	HeaderEthAddress      = "Livepeer-Eth-Address"      // base64 JSON {addr, sig}
	HeaderCapability      = "Livepeer-Capability"       // BYOC capability name
	HeaderBalance         = "Livepeer-Balance"          // BYOC balance after a plain job, or of a stream
	HeaderPaymentBalance  = "Livepeer-Payment-Balance"  // BYOC balance on an SSE job answer
	HeaderOrchestratorURL = "Livepeer-Orchestrator-URL" // remote signer 480: the orchestrator to refresh
	HeaderPublishURL      = "X-Publish-Url"             // BYOC stream start: input channel
	HeaderSubscribeURL    = "X-Subscribe-Url"           // output channel
	HeaderControlURL      = "X-Control-Url"             // control channel
	HeaderEventsURL       = "X-Events-Url"              // events channel
	HeaderDataURL         = "X-Data-Url"                // data channel
)

// NewOrchestratorTransport returns a fresh transport for talking HTTP to
// orchestrators: their certificates are self-signed and regenerated on
// restart (go-livepeer's gateway skips verification too), and it speaks
// HTTP/1.1 only: a job is one request, and event streams arrive as many
// small flushed chunks, which HTTP/2's framing and flow control make ~1.7×
// slower to read (bench/stream). The caller owns it (CloseIdleConnections).
func NewOrchestratorTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // orchestrator certificates are self-signed
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	return tr
}
