// Package liverunner is the client side of go-livepeer's live runners
// (go-livepeer doc/live-runner.md, ai/runner/live_runner.go,
// server/ai_http.go): orchestrators expose any HTTP application — plain
// HTTP, server-sent events, WebSockets, trickle channels for realtime
// media — behind discovery, sessions, a reverse proxy and probabilistic
// micropayments. It is the mechanics behind livepeer.Gateway.Reserve,
// Gateway.Runners, Run and Stream on a runner app and Live on
// "live-video-to-video/scope"; package runner is the other side (a Go
// program serving as a runner).
//
// Discovery (Source): an orchestrator's GET /discovery
// (FromOrchestrators), a remote signer's /discover-orchestrators "runners"
// records (FromSigner: on-chain priced runners only) or a discovery
// endpoint of that shape (FromEndpoint). Rank keeps the runners a Filter
// selects (app, mode, version, GPU name and memory, free capacity, a price
// ceiling) and orders them: a free slot first, cheapest, fastest answer.
// Runner records are typed; Metadata and Raw are as given.
//
// Persistent sessions (Client.Reserve): POST {runner.URL} with
// Livepeer-Payer-Address; a priced runner answers 402 with a challenge
// (base64 OrchestratorInfo, manifest id, payment URL), which is paid
// through the remote signer (/generate-live-payment with the type of the
// runner's unit: seconds → "live", 720p-pixel-seconds → "lv2v", fixed →
// "fixed", and the caller's maxPrice) before the POST is repeated with
// Livepeer-Payment and Livepeer-Segment. A refusal (503 full, 404 gone,
// a transport error...) moves on to the next runner; every rejection is
// kept (errors.As gives the *livepeer.NoOrchestratorError and its list).
// The Session gives the app's base URL and an *http.Client to reach it,
// pays on a timer below the orchestrator's interval, and ends on Close
// (POST {control_url}/stop) or when the orchestrator releases it.
//
// Payments and their failures: 409 from the payment route is a
// fixed-price session (paid once; payments stop); 404 is a released
// session (Err: ErrSessionReleased). When the signer cannot pay (out of
// credit, unreachable) the session goes on on the time it prepaid: the
// caller gets a Warning (SessionConfig.OnWarning), later ticks try again,
// and once the orchestrator releases the session for lack of credit it
// ends with an error matching livepeer.ErrInsufficientBalance.
//
// Single-shot runners (SingleShotTransport, Client.Call): each request to
// {runner.URL}/{path} is a session of its own, with the 402 dance per
// request; a long answer is paid while it is read.
//
// Orchestrators serve self-signed certificates, which are not verified (as
// go-livepeer's gateway does not verify them); Config.Pins pins each
// orchestrator's key on first use on every connection the Client makes
// (package orchtls).
//
// Wire facts and where they come from: go-livepeer server/ai_http.go
// (routes, ReserveLiveRunnerSession, reservePaidLiveRunnerSession,
// runnerChallenge, PaymentForLiveRunnerSession, proxyLiveRunner),
// server/remote_discovery.go (signer records, price validation),
// server/remote_signer.go (payment types and maxPrice units). Where the
// Python SDK 1.0.0 (live_runner.py, selection.py, scope.py) differs,
// go-livepeer master wins.
//
// Errors start with "liverunner:" and match the shared sentinels of
// package livepeer. Every Client method is safe for concurrent use; every
// goroutine and connection a Session starts ends with Close.
package liverunner
