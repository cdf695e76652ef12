// Package payment keeps a payment session with one orchestrator for one
// stream or job, on top of a signer.Client: it sends the orchestrator's
// current info and the opaque signer state with every request, refreshes
// the info when the signer asks for it (HTTP 480), when the orchestrator's
// auth token is about to expire, and when the orchestrator rejects a
// payment, and adopts the ticket parameters the orchestrator returns.
//
// Session covers both job kinds:
//   - LV2V (live-video-to-video): Next yields the Livepeer-Payment and
//     Livepeer-Segment headers for the job start; after the start answer
//     SetManifestID; SendLV2V then pays POST {transcoder}/payment.
//   - BYOC: a Session built with Config.BYOCCapability buys compute seconds
//     with NextBYOC, at the orchestrator's per-capability price (BYOCInfo
//     puts a job token's terms in an Info); only the Livepeer-Payment
//     header is sent to BYOC orchestrators.
//
// ParseTickets (and Payment.Tickets) decode a Livepeer-Payment value into
// what it commits: ticket count, face value, win probability, expected
// value. Errors start with "payment:" and match the shared sentinels of
// package livepeer (ErrInsufficientBalance, ErrNoTicketsNeeded, ErrClosed...).
//
// Sender runs a send function on a timer (not on output, so a silent
// pipeline still gets paid) until Close, ctx cancellation, an
// out-of-balance error or too many failures in a row.
package payment
