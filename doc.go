// Package livepeer is the Go client SDK for the Livepeer network: it finds
// orchestrators, pays them through a remote signer and runs jobs on them.
//
// A Gateway carries the configuration (a token, or a signer URL, discovery
// URL or orchestrator list) and is built once:
//
//	gw, err := livepeer.NewGateway(livepeer.Config{Token: token})
//	if err != nil { ... }          // *ConfigError / *TokenError name the bad field
//	defer gw.Close()
//
// Three verbs run work, each taking ctx, a capability string, the request
// data, and per-call options of one type (CallOption):
//
//	res, err := gw.Run(ctx, "text-reversal", input, livepeer.WithTimeout(time.Minute))
//	st, err := gw.Stream(ctx, "llm-chat", input)      // server-sent events: st.Events(ctx)
//	sess, err := gw.Live(ctx, "live-video-to-video/streamdiffusion", params,
//		livepeer.WithPaymentInterval(5*time.Second))  // media in/out, control, events
//
// They pick orchestrators with Gateway.Select (ranked by price, then
// latency) and fail over to the next candidate while one refuses. Select
// reads the Gateway's orchestrator pool (discovery.Pool, tuned by
// Config.Pool): answers cached per capability and kept fresh in the
// background, failed orchestrators backed off or demoted, so a silent
// orchestrator costs a call nothing once the pool knows it.
//
// # Capability kinds
//
// The root package holds what a user holds (Gateway, Config, the verbs,
// Result, Stream, LiveSession, errors); the mechanics of each kind of
// capability live in a package of its own, named after it:
//
//   - byoc: BYOC jobs and streams ("byoc/<name>"): job signing, job token,
//     payment, submission, go-livepeer's event relay, stream control;
//   - lv2v: live-video-to-video ("live-video-to-video/<model>"): start
//     with the first payment, payments on a timer;
//   - aipipeline: the built-in AI pipelines ("text-to-image/<model>",
//     "llm/<model>", ...): typed requests (aliased here: TextToImage,
//     LLMRequest...; Run and Stream also take their JSON, or a
//     map[string]any, decoded strictly into them), the units the
//     orchestrator charges, one
//     remote-signer payment per attempt on fresh orchestrator info,
//     failover while nothing was charged. Run's Result carries the typed
//     answer (Result.Pipeline); an LLM Stream's events are its chunks
//     (Stream.LLMChunks).
//   - liverunner: go-livepeer's live runners, any HTTP app behind an
//     orchestrator. Run and Stream reach a runner app by its name:
//     "runner/<app>" always, and "<prefix>/<rest>" when <prefix> is
//     neither "byoc" nor a go-livepeer pipeline name ("acme/echo" is a
//     runner app; "llm/<model>" a built-in pipeline, "text-reversal" and
//     "byoc/<name>" BYOC). Gateway.Reserve holds a persistent session
//     (RunnerSession: the app's URL, an *http.Client, payments), and Live
//     on "live-video-to-video/scope" (or a runner app speaking Scope's
//     protocol) starts video through a runner (runners.go, scope.go).
//
// A kind package takes the shared pieces through small interfaces it
// declares itself: Candidates (the selection cursor, *discovery.Selector),
// Signer (*signer.Client), Payments (payment sessions, *Gateway) and Doer
// (HTTP, *http.Client). The verbs parse the capability string and dispatch:
// Run and Stream in run.go and stream.go (submitBYOC; a runner app goes to
// submitRunner first; the AI pipelines in pipeline.go and stream_llm.go),
// Live in live.go, whose kinds hand the session a liveJob (channels, pay,
// update, stop). A new kind is a new package of that shape plus a case in
// those dispatch functions; sessions and streams stay the root's.
//
// # Errors
//
// Every error wraps its cause with %w. Use errors.Is with the Err*
// sentinels (ErrNoOrchestrator, ErrSignerUnavailable,
// ErrInsufficientBalance, ErrClosed...), which are defined once and
// exported here only: errors from every sub-package match them. Use
// errors.As with the error types (*NoOrchestratorError lists every
// orchestrator tried and why; *APIError is an HTTP answer, classified the
// same way for every verb). A caller's own cancellation stays visible:
// errors.Is(err, context.Canceled) or context.DeadlineExceeded.
//
// # Credentials and TLS
//
// A signer that wants short-lived tokens gets them from Config.SignerAPIKey
// and Config.BillingURL (an API-key exchange, tokens replaced before they
// expire) or from a Config.SignerTokenSource of your own. Orchestrator
// certificates are self-signed and not checked, as go-livepeer's gateway
// does not check them; Config.OrchestratorPins pins each orchestrator's key
// on first use (package orchtls), and a changed key then fails with
// ErrCertificateMismatch.
//
// Logging goes to Config.Logger only (silent by default). The package reads
// no environment variables and keeps no global state. Other packages:
// discovery (capabilities, GetOrchestrator, ranking), signer (remote signer
// client, API-key exchange), payment (payment sessions), eth (addresses,
// keys), orchtls (orchestrator TLS, certificate pins), trickle and media
// (live media), livepeertest (an in-process network for tests).
package livepeer
