// Package livepeer is the Go client SDK for the Livepeer network: it finds
// orchestrators, pays them through a remote signer and runs jobs on them.
//
// A Gateway carries the configuration (a token, or a signer URL, discovery
// URL or orchestrator list) and is built once:
//
//	gw, err := livepeer.NewGateway(livepeer.Config{Token: token})
//	if err != nil { ... }          // *ConfigError / *TokenError name the bad field
//	defer gw.Close()
//	infos, err := gw.Orchestrators(ctx, "live-video-to-video/streamdiffusion")
//
// The verbs built on it (Run, Stream, Live) pick orchestrators with
// Gateway.Select and fail over to the next candidate when one refuses.
//
// Errors: every error wraps its cause with %w. Use errors.Is with the Err*
// sentinels (ErrNoOrchestrator, ErrSignerUnavailable, ErrInsufficientBalance,
// ...) and errors.As with the error types (*NoOrchestratorError lists every
// orchestrator tried and why). A caller's own cancellation stays visible:
// errors.Is(err, context.Canceled) or context.DeadlineExceeded.
//
// Logging goes to Config.Logger only (silent by default). The package reads
// no environment variables and keeps no global state.
//
// The mechanics live in sub-packages: discovery (capabilities,
// GetOrchestrator, ranking), signer (remote signer client), payment
// (payment sessions), trickle and media.
package livepeer
