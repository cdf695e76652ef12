package aipipeline

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// Pipeline names one of go-livepeer's built-in batch AI pipelines, as it
// appears in capability strings ("text-to-image/<model>") and, with a leading
// "/", as the orchestrator's HTTP route.
type Pipeline string

// The built-in batch pipelines. Routes: go-livepeer server/ai_http.go:81-89
// (master 176aa415ccea4f9861e0dd44e981cda17fb36f52); capability ids:
// core/capabilities.go:81-90 (same commit).
const (
	TextToImage      Pipeline = "text-to-image"      // capability 27, JSON
	ImageToImage     Pipeline = "image-to-image"     // capability 28, multipart
	ImageToVideo     Pipeline = "image-to-video"     // capability 29, multipart
	Upscale          Pipeline = "upscale"            // capability 30, multipart
	AudioToText      Pipeline = "audio-to-text"      // capability 31, multipart
	SegmentAnything2 Pipeline = "segment-anything-2" // capability 32, multipart
	LLM              Pipeline = "llm"                // capability 33, JSON (SSE with stream:true)
	ImageToText      Pipeline = "image-to-text"      // capability 34, multipart
	TextToSpeech     Pipeline = "text-to-speech"     // capability 36, JSON
)

var pipelineIDs = map[Pipeline]uint32{
	TextToImage:      27,
	ImageToImage:     28,
	ImageToVideo:     29,
	Upscale:          30,
	AudioToText:      31,
	SegmentAnything2: 32,
	LLM:              33,
	ImageToText:      34,
	TextToSpeech:     36,
}

// Pipelines returns every built-in batch pipeline, in capability-id order.
func Pipelines() []Pipeline {
	return []Pipeline{TextToImage, ImageToImage, ImageToVideo, Upscale, AudioToText, SegmentAnything2, LLM, ImageToText, TextToSpeech}
}

// Known reports whether p is one of the built-in batch pipelines.
func (p Pipeline) Known() bool { _, ok := pipelineIDs[p]; return ok }

// CapabilityID returns go-livepeer's capability id of p (27 for
// text-to-image, ...), or 0 when p is not a built-in batch pipeline.
func (p Pipeline) CapabilityID() uint32 { return pipelineIDs[p] }

// Path returns the orchestrator route of p ("/text-to-image").
func (p Pipeline) Path() string { return "/" + string(p) }

// PipelineForID returns the pipeline with go-livepeer capability id id.
func PipelineForID(id uint32) (Pipeline, bool) {
	for p, pid := range pipelineIDs {
		if pid == id {
			return p, true
		}
	}
	return "", false
}

// Capability is one pipeline served with one model: the
// "<pipeline>/<model>" strings of discovery and of Run/Stream. The model is
// everything after the first "/", so Hugging Face ids with a "/" keep it
// ("text-to-image/stabilityai/sd-turbo").
type Capability struct {
	Pipeline Pipeline
	Model    string
}

// ParseCapability parses "<pipeline>/<model>" for a built-in batch
// pipeline. It returns a *CapabilityError (errors.Is ErrInvalidCapability)
// when the pipeline is not one of Pipelines(), the model is missing, or the
// string holds spaces or control characters.
func ParseCapability(s string) (Capability, error) {
	p, model, ok := strings.Cut(s, "/")
	switch {
	case !Pipeline(p).Known():
		return Capability{}, &CapabilityError{Input: s, Reason: "not a built-in batch AI pipeline"}
	case !ok || model == "":
		return Capability{}, &CapabilityError{Input: s, Reason: "missing model: want \"" + p + "/<model>\""}
	case strings.IndexFunc(model, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return Capability{}, &CapabilityError{Input: s, Reason: "model contains spaces or control characters"}
	}
	return Capability{Pipeline: Pipeline(p), Model: model}, nil
}

// IsPipelineCapability reports whether s names a built-in batch pipeline
// ("text-to-image/…", "llm/…"), model or not: the dispatch test for Run and
// Stream. ParseCapability still has to accept it.
func IsPipelineCapability(s string) bool {
	p, _, _ := strings.Cut(s, "/")
	return Pipeline(p).Known()
}

// String returns "<pipeline>/<model>".
func (c Capability) String() string { return string(c.Pipeline) + "/" + c.Model }

// ID returns the capability id (27 for text-to-image, ...).
func (c Capability) ID() uint32 { return c.Pipeline.CapabilityID() }

// ManifestID returns "<capability id>_<model>", the id under which the
// orchestrator keeps the payer's balance for this capability
// (go-livepeer server/ai_http.go:1578) and the ManifestID to send to the
// remote signer's /generate-live-payment.
func (c Capability) ManifestID() string {
	return strconv.FormatUint(uint64(c.ID()), 10) + "_" + c.Model
}

// CapabilityError reports a capability string that ParseCapability refuses.
type CapabilityError struct {
	Input  string
	Reason string
}

func (e *CapabilityError) Error() string {
	return fmt.Sprintf("aipipeline: capability %q: %s", e.Input, e.Reason)
}

// Is matches ErrInvalidCapability and discovery.ErrInvalidCapability
// (livepeer.ErrInvalidCapability).
func (e *CapabilityError) Is(target error) bool {
	return target == ErrInvalidCapability || target == discovery.ErrInvalidCapability
}
