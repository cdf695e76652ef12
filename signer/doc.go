// Package signer is a client for go-livepeer's remote signer: the HTTP service
// that holds the payer's Ethereum key and, on request, signs the gateway's
// GetOrchestrator requests (POST /sign-orchestrator-info), produces
// probabilistic-micropayment tickets for one orchestrator
// (POST /generate-live-payment), signs BYOC job headers (POST /sign-byoc-job,
// a go-livepeer branch feature) and lists orchestrators
// (GET /discover-orchestrators, when the signer runs with -remoteDiscovery).
//
// A Client is built once with New and is safe for concurrent use. It retries
// only what is safe to retry (connection errors and 429/502/503/504; none of
// these calls has an on-chain effect until the tickets reach an orchestrator)
// and fails over between several signer URLs; every result says which signer
// answered. Several signer URLs must share one signing key: the payment state
// is signed by the key and verified on the next call.
//
// With no signer (New(Config{}) or Offchain) the Client works the way an off-chain
// gateway does: no orchestrator-info signature, no tickets, and seg creds that
// carry only the orchestrator's auth token.
//
// Credentials: static headers (Config.Headers), or bearer tokens from a
// TokenSource (Config.Tokens) asked before every call; a token the signer
// refuses with 401 is invalidated and the call retried once with a fresh
// one. Exchange is the built-in source: an API key exchanged for
// short-lived tokens at a billing service (POST
// {billing}/api/pymthouse/keys/exchange, as the Python SDK's
// exchange_api_key_for_signer), each replaced before it expires.
//
// Every failure is typed: a *Error wrapping a *livepeer.APIError (HTTP
// answers) or a *DecodeError (bad answers), classified by the shared
// sentinels of package livepeer, so errors.Is(err,
// livepeer.ErrInsufficientBalance) tells "out of credit" (483) from
// errors.Is(err, livepeer.ErrSignerUnavailable) ("signer down"). The
// signer's own statuses are StatusRefreshSession (480), StatusPriceExceeded
// (481), StatusNoTickets (482) and StatusInsufficientBalance (483). Errors
// start with "signer:".
package signer
