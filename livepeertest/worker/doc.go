// Package worker provides toy BYOC workers that really compute, as
// http.Handlers, for tests, examples and local development: register one
// on an orchestrator (livepeertest or go-livepeer) with POST
// /capability/register and send it jobs through POST /process/request/….
//
//   - TextReversal: the text-reversal service of go-livepeer's BYOC guide
//     (doc/byoc.md): {"text":"hello"} → {"original":"hello","reversed":"olleh"}.
//   - Streamer: a token streamer answering text/event-stream: N events at a
//     steady rate, then "data: [DONE]".
//   - Fail: a worker that always fails with the status of your choice.
//   - Recorder: wraps any handler and records what reached it.
//
// Every handler is safe for concurrent use.
package worker
