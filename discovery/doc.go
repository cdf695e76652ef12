// Package discovery finds Livepeer orchestrators for a job and ranks them.
//
// It covers the gateway side of go-livepeer's orchestrator discovery:
//
//   - capabilities: go-livepeer capability ids and pipeline names
//     (ParseCapability accepts "live-video-to-video/streamdiffusion",
//     "byoc/text-reversal", "35/model"), and their protobuf form;
//   - sources of orchestrator addresses: an explicit list, a discovery
//     endpoint (GET, a JSON list of {"address": ...}) or a remote signer's
//     /discover-orchestrators;
//   - the GetOrchestrator gRPC call over TLS, signed by the remote signer,
//     sent to many orchestrators at once with a per-orchestrator timeout;
//   - filtering by capability and price, ranking (cheapest first, then
//     fastest to answer) and a failover cursor (Selector) for the verbs.
//
// TLS: orchestrators serve gRPC and HTTP on one port with a self-signed
// certificate that is regenerated on every restart, so there is no
// certificate to verify against. Like go-livepeer's own gateway (and the
// Python SDK's default probe), Client skips certificate verification. The
// channel is encrypted but not authenticated: a network attacker able to
// intercept the connection could impersonate an orchestrator. What an
// orchestrator says is bound to its Ethereum address only through the
// payment tickets, which go to the address the orchestrator advertises.
//
// Info, the decoded GetOrchestrator answer, is immutable and safe for
// concurrent use. Client is safe for concurrent use and must be closed.
// Selector is safe for concurrent use.
package discovery
