// Package runner turns a Go program into a Livepeer live runner: an HTTP
// application that go-livepeer orchestrators discover, reserve, pay for and
// reverse-proxy to (go-livepeer doc/live-runner.md). It is the runner side
// of the protocol; clients reach runners through the orchestrator.
//
// A Runner registers with one or several orchestrators (POST
// /runners/heartbeat with the orchestrator's bootstrap secret), keeps each
// registration alive with the derived heartbeat secret at the interval the
// orchestrator returns, registers again (with a new runner id) when an
// orchestrator has forgotten it (401 or 404), pushes updates of capacity,
// price, status, metadata and version, reads each orchestrator's
// orchestrator-to-runner (O2R) channel for "reserved" and "released"
// session events, reconciles its sessions against every heartbeat's
// authoritative session_ids, and unregisters on Close.
//
// Runner.Handler wraps the application's http.Handler: each proxied request
// carries its session (route, id, session token, control URL) in its
// context (SessionFrom). A Session creates and deletes named trickle
// channels, session-scoped proxy URLs and stops itself through the
// orchestrator's callbacks. Video is a realtime video application in a
// few lines: per session it creates input, output, control and events
// channels, hands MPEG-TS segments to the application's function and
// publishes what it returns — the runner-side mirror of a client's Live.
//
// Concurrency and Close: every method is safe for concurrent use. Every
// goroutine, connection and trickle client a Runner starts is stopped by
// Close (which is idempotent and waits for them) or by the end of the
// context that bounds it. A Session's Context ends when the orchestrator
// releases the session, when the session's registration is lost, or at
// Close.
//
// TLS: orchestrators serve self-signed certificates, so the default HTTP
// client does not verify them (as go-livepeer, the Python SDK and package
// trickle do). Set Config.VerifyTLS or Config.HTTPClient to verify.
package runner
