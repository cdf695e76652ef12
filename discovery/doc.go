// Package discovery finds Livepeer orchestrators for a job and ranks them.
//
// It covers the gateway side of go-livepeer's orchestrator discovery:
//
//   - capabilities: go-livepeer capability ids and pipeline names
//     (ParseCapability accepts "live-video-to-video/streamdiffusion",
//     "byoc/text-reversal", "35/model");
//   - sources of orchestrator addresses: an explicit list or a discovery
//     endpoint (GET, a JSON list of {"address": ...}); a remote signer's
//     /discover-orchestrators is one too (signer.NewSource);
//   - the GetOrchestrator gRPC call over TLS (spoken with
//     connectrpc.com/connect), signed by a RequestSigner (*signer.Client),
//     sent to many orchestrators at once with a per-orchestrator timeout;
//   - Info, the decoded answer: prices, capabilities and models, ticket
//     parameters (TicketParams.EV), auth token expiry; DecodeInfo decodes
//     an OrchestratorInfo protobuf from elsewhere (a signer request, a
//     /payment answer);
//   - filtering by capability and price, ranking (cheapest first, then
//     fastest to answer) and a failover cursor (Selector) for the verbs;
//   - Pool, a live view of the orchestrators per (capability, model): the
//     answers cached and refreshed in the background before their auth
//     token or ticket params expire, a cold start that does not wait for
//     the slowest orchestrator, health memory (backoff of orchestrators
//     that stop answering, demotion of ones that fail jobs), and the
//     Selectors the verbs use.
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
// concurrent use. Client and Pool are safe for concurrent use and must be
// closed (Pool first). Selector is safe for concurrent use. Errors start with "discovery:";
// besides this package's own sentinels they match the shared ones of
// package livepeer (ErrOrchestratorUnavailable, ErrClosed...).
package discovery
