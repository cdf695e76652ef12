// Package aipipeline is the client side of go-livepeer's built-in batch AI
// pipelines (text-to-image, image-to-image, image-to-video, upscale,
// audio-to-text, segment-anything-2, llm, image-to-text, text-to-speech).
// It is the mechanics behind livepeer.Gateway's Run and Stream for
// "<pipeline>/<model>" capabilities, in two layers:
//
//   - Run and Stream (functions) serve one request at one orchestrator: the
//     caller picks it and supplies a Payer;
//   - Client.Run and Client.Stream try a list of candidate orchestrators
//     (Candidates, *discovery.Selector), fetch fresh OrchestratorInfo for
//     every payment (Orchestrators, *discovery.Client), pay through a
//     remote signer (Signer, *signer.Client; off-chain: seg creds with the
//     orchestrator's auth token and no tickets) and fail over only while
//     nothing was charged. Client.Run says what a call costs.
//
// A request goes through three steps:
//
//	c, err := aipipeline.ParseCapability("text-to-image/stabilityai/sdxl-turbo")
//	call, err := aipipeline.Prepare(ctx, c, aipipeline.TextToImageParams{Prompt: "a red fox"}, nil)
//	res, err := aipipeline.Run(ctx, httpClient, aipipeline.Target{URL: orchURL}, call, payer)
//	png, err := res.Images[0].Bytes(ctx)
//
// A request given as JSON (ai-runner's field names, a file as a data: URL)
// or as a map becomes its typed form with DecodeRequest or RequestFromMap,
// which refuse unknown fields by name.
//
// Prepare validates the request, fills in the defaults go-livepeer's gateway
// sends, encodes the body (JSON or multipart) and computes call.Units, the
// units the orchestrator will charge, exactly as its handleAIRequest does
// (server/ai_http.go, go-livepeer master 176aa415ccea4f9861e0dd44e981cda17fb36f52):
//
//	text-to-image       height × width × num_images_per_prompt (512×512×1 unset)
//	image-to-image      input height × width × num_images_per_prompt
//	image-to-video      height × width × 25 (576×1024 unset)
//	upscale             input height × width
//	segment-anything-2  input height × width
//	image-to-text       input height × width
//	audio-to-text       whole seconds of audio × 1000 (under 1 s is refused)
//	llm                 max_tokens (256 unset)
//	text-to-speech      1000 × runes of text
//
// The orchestrator debits Units × its price for the (capability, model) in
// wei; the payer must cover at least that. Run (or Stream for an LLM request
// with stream:true) then pays through the Payer, posts the request, and
// decodes the answer into a Result (or an LLMStream). Failures of the
// orchestrator come back as *Error, classified so a caller can fail over:
// errors.Is(err, ErrRetryable) means another orchestrator may succeed and
// nothing was charged here.
//
// Through a remote signer, a request is paid with one POST
// /generate-live-payment: "type" omitted, "inPixels" = call.Units,
// "ManifestID" = "<capability id>_<model>", the capability and model as
// "capabilities", and the orchestrator's info fetched for this payment
// only; no state is sent or kept, so no balance is carried between
// requests. The signer makes ceil(max(fee, EV) / EV) tickets at the
// orchestrator's ticket EV, at most MaxTicketsPerPayment and at most its
// -maxTotalEV of EV: a request above either is a *PaymentLimitError.
//
// Errors match the SDK's shared sentinels (package livepeer) as well as
// this package's: see Error.Is.
//
// The request and response models in types.gen.go are generated from
// ai-runner's OpenAPI document (see generate.go); File, the multipart
// encoders and the LLM stream reader are written by hand.
//
// All functions are safe for concurrent use; a Call is immutable once
// prepared. An LLMStream is read by one goroutine and closed by any.
package aipipeline
