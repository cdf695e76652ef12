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
// Network.AdvanceBlocks expires ticket params on the shared block clock.
//
// Other files of this package add routes to an Orchestrator through its
// Handle method (live video, BYOC, trickle); they use ProcessPayment,
// ProcessTickets, SufficientBalance and Debit for payments.
package livepeertest
