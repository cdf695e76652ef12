// Package livepeertest runs an in-process Livepeer network for tests, in the
// spirit of net/http/httptest: orchestrators, a remote signer and a discovery
// endpoint, all on 127.0.0.1 random ports, speaking go-livepeer's wire
// formats (gRPC GetOrchestrator over TLS, POST /payment, the remote-signer
// HTTP API, /discover-orchestrators).
//
// The signer holds a real secp256k1 key: it signs orchestrator requests,
// probabilistic-micropayment tickets and its opaque state, and orchestrators
// verify those signatures, so a client that works against this network works
// against go-livepeer. The signer meters payments against a configurable
// budget (SignerBalance) and answers 483 when it would be exceeded.
//
// A test of your own application looks like this:
//
//	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{})
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer n.Close()
//	app := myapp.New(myapp.Config{LivepeerToken: n.Token()})
//	// ... exercise app; then inspect n.Signer().Spent(),
//	// n.Orchestrators()[0].PaymentsReceived(), and so on.
//
// Faults are injected with knobs: Orchestrator.SetLatency, SetBlackhole,
// FailGetOrchestrator and FailHTTP; Signer.SetDown, SetLatency and FailNext;
// Network.AdvanceBlocks expires ticket params on the shared block clock;
// Orchestrator.RotateCertificate gives an orchestrator a new TLS key, as a
// go-livepeer restart does (for certificate pinning, package orchtls).
//
// NetworkConfig.SignerAuth makes the signer demand short-lived bearer
// tokens, issued by a pymthouse-style API-key exchange at
// Network.BillingURL (POST /api/pymthouse/keys/exchange); a call with no
// token, an unknown one or an expired one is answered 401
// (Signer.Unauthorized, Network.TokenExchanges count them).
//
// The public surface is small on purpose: NewNetwork and the knobs and
// counters above, EnableBYOC for BYOC job routes with your own workers
// (package worker has ready ones), and the Pipeline catalogue
// (Passthrough, Transform, PipelineFunc) for live streams.
//
// For this package's own files: every route an orchestrator serves is
// mounted through Orchestrator.handle (orchestrator.go: POST /payment and
// gRPC; lv2v.go and stream.go: live video, BYOC streams, trickle; byoc.go:
// BYOC jobs). A new kind of route (live runners, AI pipelines) goes in a
// new file with an enableX(o, cfg) function that calls o.handle, is turned
// on from NewNetwork, and pays with processPaymentFor, ProcessTickets,
// sufficientBalance and debit.
package livepeertest
