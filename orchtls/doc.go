// Package orchtls is how the SDK's connections to orchestrators use TLS,
// with optional certificate pinning on first use (TOFU).
//
// Orchestrators serve gRPC and HTTP on one port with a self-signed
// certificate, and go-livepeer makes a new key and certificate at every
// start (server/cert.go getCert: "for now, just generate a new cert every
// time"). There is no chain to verify, and go-livepeer's gateway does not
// verify: GetOrchestrator and the orchestrator HTTP client use
// tls.Config{InsecureSkipVerify: true} (server/segment_rpc.go tlsConfig,
// used by server/rpc.go startOrchestratorClient), and trickle verifies
// only on nodes that run live runners (cmd/livepeer/starter/starter.go,
// TrickleInsecureSkipVerify, go-livepeer #3964). So does this SDK by
// default: the channel is encrypted but not authenticated.
//
// With a Store, the first connection to an address pins the public key of
// the certificate it presents (Pin: the SHA-256 of its
// SubjectPublicKeyInfo, HPKP's pin-sha256), and every later connection to
// that address must present the same key, else the handshake fails with a
// *MismatchError (errors.Is(err, livepeer.ErrCertificateMismatch)) naming
// the address. Pins are kept per "host:port" as dialled (GetOrchestrator's
// address and the host:port of each orchestrator URL: the transcoder URL
// and trickle channels are on the orchestrator's own port). A store can be
// persisted (OpenFile) so that pins outlive the process. Because a
// go-livepeer orchestrator gets a new key at every restart, a restart
// looks exactly like an impersonation: remove the address's pin
// (Store.Delete) once you trust the new key.
//
// Config is the one function that builds the *tls.Config of every
// orchestrator connection (the verification is its VerifyConnection);
// DialTLSContext and Apply put it under an http.Transport, which is how
// package discovery (GetOrchestrator) and the livepeer Gateway (jobs,
// payments, trickle channels) use it.
package orchtls
