// Package byoc runs BYOC ("bring your own container") work on go-livepeer
// orchestrators: one-shot jobs (POST /process/request, answered with a body
// or with server-sent events) and live streams (POST /ai/stream/start,
// update, payment, stop). It is the mechanics behind livepeer.Gateway's
// Run, Stream and Live for capabilities "byoc/<name>"; use it directly to
// drive BYOC with your own orchestrator selection or HTTP stack.
//
// How a BYOC job is paid (go-livepeer byoc/job_gateway.go, job_orchestrator.go):
//  1. the job header (`Livepeer`: id, request, parameters, capability,
//     timeout_seconds, sender, V0 signature over request+parameters) is
//     signed once, by Config.SigningKey / Job.SigningKey, else by the remote
//     signer's /sign-byoc-job, else (off-chain) by a fresh key (sign.go);
//  2. for each orchestrator tried, GET /process/token gives its terms: price
//     per second, ticket params issued for that price, the sender's balance
//     and the capacity left (token.go);
//  3. when the capability is priced and the balance is below the 60 s
//     go-livepeer requires, tickets for up to 120 s of compute go in the
//     Livepeer-Payment header, made by a payment session on the token's terms
//     (pay.go);
//  4. the orchestrator debits the balance as the job runs; its answer carries
//     the new balance (Livepeer-Balance, or an SSE {"balance": x} event).
//
// A job moves to the next orchestrator only while it has certainly not been
// accepted (token or payment failure, no capacity, a 5xx other than 504
// before the worker stage, a connection that failed before the request was
// written), so a job is never run twice. Every failure is reported to the
// Candidates (Reject), so that a pool can demote the orchestrator.
//
// The shared pieces come in through small interfaces: Candidates (the
// selection cursor; *discovery.Selector), Signer (*signer.Client), Payments
// (*livepeer.Gateway) and Doer (*http.Client). A Client is safe for
// concurrent use; a Stream's methods too. Errors from this package start
// with "byoc:" and match the shared sentinels of package livepeer
// (errors.Is(err, livepeer.ErrInsufficientBalance), ErrJobFailed...).
package byoc
