// Package trickle implements the trickle protocol used by Livepeer for live
// media, control and event channels: a publisher, a subscriber, JSON/JSONL
// channels on top of them, and a server.
//
// A trickle channel is a URL such as https://orch:8935/ai/trickle/abc-in. Its
// segments are numbered: a publisher POSTs segment n to {channel}/{n} with a
// streamed (chunked) body, and subscribers GET {channel}/{n}, receiving the
// bytes while they are still being published. The wire format follows
// go-livepeer's trickle package (trickle/trickle_server.go), including the
// Lp-Trickle-Seq, Lp-Trickle-Latest, Lp-Trickle-Closed and Lp-Trickle-Reset
// headers and the 470 "Entry not found" status.
//
// The package knows nothing of payments or orchestrators. Every blocking call
// takes a context; every goroutine and connection it starts is stopped by the
// owning object's Close, which is idempotent and waits for them.
//
// TLS: orchestrators serve self-signed certificates that change on restart,
// so the default HTTP client built by this package does not verify
// certificates (as go-livepeer and the Python SDK do). Set VerifyTLS in a
// config, or pass your own *http.Client, to verify them.
package trickle
