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
// # What success means
//
// SegmentWriter.Write returning nil means the bytes were handed to the
// connection, not that the server has them. SegmentWriter.CloseContext (and
// Publisher.Write) returning nil means the server read the whole segment and
// then answered 200 for its seq: the segment is stored and its readers got a
// clean end. A Segment's Read returns io.EOF only at the clean end of a
// whole segment; a segment cut short (its publisher failed, the connection
// dropped, this package's Server cut it) is an error. (go-livepeer's server
// ends a segment evicted from its ring mid-write as if it were complete.) Subscriber.Next returns
// ErrEndOfStream only on the server's end-of-stream signal
// (Lp-Trickle-Closed); a channel that disappears without it is
// ErrStreamVanished. Segments a subscriber misses because the publisher got
// more than the server's ring (5 segments) ahead are never missed silently:
// see SkipError.
//
// # Time bounds
//
// Every blocking call takes a context, or has a bound, and none waits
// forever on a server that stopped answering:
//   - Publisher.Next and Subscriber.Next return ctx.Err() when ctx ends.
//   - SegmentWriter.WriteContext and CloseContext return ctx.Err(); a
//     connected server that takes no byte, or gives no answer once the
//     segment ended, fails the segment with ErrStalled after the publisher's
//     StallTimeout (default 10 s), so Write and Close without a context are
//     bounded too.
//   - Segment.ReadContext returns ctx.Err(); any read fails with ErrStalled
//     after the subscriber's StallTimeout (default 30 s) without a byte.
//   - A server that cannot be reached is retried with backoff (100 ms to
//     250 ms) for RetryTimeout (default 10 s, enough to ride out a server
//     restart of a few seconds), then the publisher or subscriber gives up
//     with ErrServerUnavailable. Retrying is bounded by time, not by a count.
//   - Publisher.Close bounds its DELETE by CloseTimeout (default 5 s).
//
// # Concurrency and Close
//
// Publisher, Subscriber, ControlWriter, JSONLWriter and Server are safe for
// concurrent use; Next calls are serialised. A SegmentWriter's writes must
// not be concurrent with each other, and a Segment's reads must not be
// concurrent with each other; Close may be called from any goroutine.
// Every goroutine and connection an object starts is stopped by its Close,
// which is idempotent and waits for them (and, for a Publisher, deletes the
// channel on the server). After Close, calls return an error wrapping
// ErrClosed, the same value as the root package's livepeer.ErrClosed. Error
// messages start with "trickle: ".
//
// The package knows nothing of payments or orchestrators. Logging goes only
// to a caller-supplied *slog.Logger (silent by default). Stats on Publisher
// and Subscriber are atomic counters, cheap to read at any time.
//
// TLS: orchestrators serve self-signed certificates that change on restart,
// so the default HTTP client built by this package does not verify
// certificates (as go-livepeer and the Python SDK do). Set VerifyTLS in a
// config, or pass your own *http.Client, to verify them.
//
// The Server follows go-livepeer's semantics except where they lose data
// without an error; see Server for the list.
package trickle
