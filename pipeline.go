package livepeer

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// Requests of the built-in AI pipelines, the input of Run and Stream for
// "<pipeline>/<model>" capabilities (types of package aipipeline, generated
// from ai-runner's OpenAPI document). Optional fields are pointers: set
// them with Ptr (Width: livepeer.Ptr(1024)). The model comes from the
// capability; a request's own model field may be left empty. The same
// requests are accepted as JSON or as a map[string]any (see
// pipeline_json.go: Run).
type (
	// TextToImage is a "text-to-image/<model>" request (JSON).
	TextToImage = aipipeline.TextToImageParams
	// ImageToImage is an "image-to-image/<model>" request (multipart).
	ImageToImage = aipipeline.BodyGenImageToImage
	// ImageToVideo is an "image-to-video/<model>" request (multipart).
	ImageToVideo = aipipeline.BodyGenImageToVideo
	// Upscale is an "upscale/<model>" request (multipart).
	Upscale = aipipeline.BodyGenUpscale
	// AudioToText is an "audio-to-text/<model>" request (multipart); its
	// duration is measured with ffprobe (on PATH) to price it.
	AudioToText = aipipeline.BodyGenAudioToText
	// SegmentAnything2 is a "segment-anything-2/<model>" request (multipart).
	SegmentAnything2 = aipipeline.BodyGenSegmentAnything2
	// LLMRequest is an "llm/<model>" request (JSON): Run for the whole
	// answer, Stream for its chunks.
	LLMRequest = aipipeline.LLMRequest
	// LLMMessage is one message of an LLMRequest.
	LLMMessage = aipipeline.LLMMessage
	// ImageToText is an "image-to-text/<model>" request (multipart).
	ImageToText = aipipeline.BodyGenImageToText
	// TextToSpeech is a "text-to-speech/<model>" request (JSON).
	TextToSpeech = aipipeline.TextToSpeechParams
	// File is the image or audio file of a multipart request; in a
	// request's JSON it is a data: URL string ("data:image/png;base64,…").
	File = aipipeline.File
)

// Answers of the built-in AI pipelines.
type (
	// PipelineResult is the typed answer of a pipeline run (Result.Pipeline):
	// Images (text-to-image, image-to-image, upscale; image-to-video's .mp4
	// in Images[0]), Text, Masks, ImageText, Audio or LLM by pipeline, the
	// Units paid and charged and the Fee in wei.
	PipelineResult = aipipeline.Result
	// Media is one generated file of a PipelineResult; Bytes fetches it
	// from the orchestrator (or decodes its data: URL).
	Media = aipipeline.Output
	// LLMChunk is one chunk of a streamed LLM answer (LLMChunk.Text is its
	// delta text), and the whole answer of a Run.
	LLMChunk = aipipeline.LLMResponse
	// LLMStream describes a Stream's LLM answer (Stream.Pipeline): Units,
	// Fee, FinishReason, Usage.
	LLMStream = aipipeline.LLMStream
)

// Ptr returns a pointer to v, for the optional fields of the pipeline
// requests (Width: livepeer.Ptr(1024)).
func Ptr[T any](v T) *T { return &v }

// Pipeline returns the typed answer of a built-in AI pipeline
// ("text-to-image/<model>", "llm/<model>"...): its images, text, masks,
// audio or LLM answer, with the units paid and charged and the fee. It is
// nil for a BYOC job.
func (r *Result) Pipeline() *PipelineResult {
	if r == nil {
		return nil
	}
	return r.pipeline
}

// isPipeline reports whether a Run or Stream capability names a built-in
// AI pipeline: "<pipeline>/..." ("text-to-image/...", "llm/..."). A bare
// name stays a BYOC capability, as it always was ("upscale" may be a BYOC
// worker's name).
func isPipeline(capability string) bool {
	s := strings.TrimSpace(capability)
	return strings.Contains(s, "/") && aipipeline.IsPipelineCapability(s)
}

// pipelineOptions are the options that do not apply to the pipelines.
var pipelineOptions = []string{"WithRequestID", "WithContentType", "WithPath", "WithSigningKey", "WithMaxResponseBytes", "WithMaxEventBytes"}

// runPipeline is Run for a built-in AI pipeline: see Run.
func (g *Gateway) runPipeline(ctx context.Context, capability string, input any, o *callOptions) (*Result, error) {
	if err := o.refuse("built-in AI pipelines", pipelineOptions...); err != nil {
		return nil, err
	}
	if g.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	c, req, err := pipelineRequest(capability, input)
	if err != nil {
		return nil, err
	}
	call, err := aipipeline.Prepare(ctx, c, req, nil)
	if err != nil {
		return nil, err
	}
	if call.Stream {
		return nil, fmt.Errorf("livepeer: %s: the request asks for a stream (stream: true); use Stream: %w", c, ErrUnexpectedResponse)
	}
	sel, cl, err := g.pipelineCandidates(ctx, c)
	if err != nil {
		return nil, err
	}
	tr := g.orchTransport()
	defer tr.CloseIdleConnections()
	res, err := cl.Run(ctx, &http.Client{Transport: tr}, sel, call)
	if err != nil {
		return nil, err
	}
	return &Result{Body: res.Body, ContentType: "application/json", StatusCode: http.StatusOK, Header: http.Header{},
		Orchestrator: res.Info.Addr, pipeline: res}, nil
}

// pipelineRequest parses a pipeline capability and turns input into a
// request (that it is the pipeline's own is checked by Prepare): a typed
// request as it is; JSON (json.RawMessage, []byte) and map[string]any
// decoded strictly into the pipeline's request type (pipeline_json.go).
func pipelineRequest(capability string, input any) (aipipeline.Capability, aipipeline.Request, error) {
	c, err := aipipeline.ParseCapability(strings.TrimSpace(capability))
	if err != nil {
		return c, nil, err
	}
	req, err := pipelineInput(c.Pipeline, input)
	return c, req, err
}

// pipelineCandidates discovers the orchestrators listing c's model
// (GetOrchestrator with c's capability id and model constraint, so each
// answer's price and ticket params are that pair's), ranked by Select and
// then warm first, and returns them with the pipeline client.
func (g *Gateway) pipelineCandidates(ctx context.Context, c aipipeline.Capability) (*discovery.Selector, *aipipeline.Client, error) {
	cl, err := aipipeline.New(aipipeline.Config{Signer: g.signer, Orchestrators: g.disc, MaxPrice: g.set.maxPrice, Logger: g.set.log})
	if err != nil {
		return nil, nil, err
	}
	sel, err := g.Select(ctx, c.String())
	if err != nil {
		return nil, nil, err
	}
	return discovery.NewSelector(c.String(), aipipeline.WarmFirst(sel.Candidates(), c), sel.Rejections()), cl, nil
}
