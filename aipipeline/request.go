package aipipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"time"
	"unicode/utf8"
)

// Request is the body of one pipeline's request: a TextToImageParams,
// BodyGenImageToImage, BodyGenImageToVideo, BodyGenUpscale,
// BodyGenAudioToText, BodyGenSegmentAnything2, LLMRequest,
// BodyGenImageToText or TextToSpeechParams (value or pointer).
type Request interface {
	// Pipeline returns the pipeline the body is for.
	Pipeline() Pipeline
}

// Pipeline returns TextToImage.
func (TextToImageParams) Pipeline() Pipeline { return TextToImage }

// Pipeline returns ImageToImage.
func (BodyGenImageToImage) Pipeline() Pipeline { return ImageToImage }

// Pipeline returns ImageToVideo.
func (BodyGenImageToVideo) Pipeline() Pipeline { return ImageToVideo }

// Pipeline returns Upscale.
func (BodyGenUpscale) Pipeline() Pipeline { return Upscale }

// Pipeline returns AudioToText.
func (BodyGenAudioToText) Pipeline() Pipeline { return AudioToText }

// Pipeline returns SegmentAnything2.
func (BodyGenSegmentAnything2) Pipeline() Pipeline { return SegmentAnything2 }

// Pipeline returns LLM.
func (LLMRequest) Pipeline() Pipeline { return LLM }

// Pipeline returns ImageToText.
func (BodyGenImageToText) Pipeline() Pipeline { return ImageToText }

// Pipeline returns TextToSpeech.
func (TextToSpeechParams) Pipeline() Pipeline { return TextToSpeech }

// Defaults go-livepeer's gateway fills in before it computes the units
// (server/ai_process.go, master 176aa415ccea4f9861e0dd44e981cda17fb36f52).
const (
	// DefaultTextToImageSize is the height and width sent when unset (ai_process.go:213-220);
	// the orchestrator charges 512×512 for an unset size too (ai_http.go:1412-1419).
	DefaultTextToImageSize = 512
	// DefaultImageToVideoHeight and DefaultImageToVideoWidth are sent when unset
	// (ai_process.go:505-512; the orchestrator's defaults too, ai_http.go:1480-1487).
	DefaultImageToVideoHeight = 576
	DefaultImageToVideoWidth  = 1024
	// ImageToVideoFrames is the frame count the orchestrator charges for
	// (ai_http.go:1488-1491: stable-video-diffusion's 25 frames).
	ImageToVideoFrames = 25
	// DefaultLLMMaxTokens is sent when max_tokens is unset (ai_process.go:1164-1167);
	// the orchestrator refuses a request without it (ai_http.go:1514-1517).
	DefaultLLMMaxTokens = 256
	// TextToSpeechUnitsPerRune: the orchestrator charges 1000 units per rune of
	// text (ai_http.go:1568-1570). go-livepeer's own gateway pays for len(text)
	// bytes only (ai_process.go:874-877); this package pays what is charged.
	TextToSpeechUnitsPerRune = 1000
	// AudioUnitsPerSecond: audio-to-text is charged per whole second of audio,
	// ×1000 (ai_http.go:1500-1505, common/util.go:468-486).
	AudioUnitsPerSecond = 1000
)

// PrepareOptions tunes Prepare. The zero value is ready to use.
type PrepareOptions struct {
	// AudioDuration measures the audio of an audio-to-text request; nil runs
	// ffprobe (FFprobe, or "ffprobe" on PATH) on a temporary file.
	AudioDuration func(ctx context.Context, audio []byte) (time.Duration, error)
	// FFprobe is the ffprobe binary for the default AudioDuration; "" looks
	// up "ffprobe" on PATH.
	FFprobe string
	// InlineMedia asks the orchestrator for results inline (data: URLs) by
	// leaving out the "Authorization: Livepeer-AI-Worker-1.0" header. By
	// default the header is sent, as go-livepeer's gateway does, and image,
	// video and audio results come back as URLs on the orchestrator.
	InlineMedia bool
}

// Call is a request prepared for sending: validated, with go-livepeer's
// gateway defaults filled in, encoded, and priced in the units the
// orchestrator will charge. A Call is immutable once prepared and can be
// sent to several orchestrators in turn (failover).
type Call struct {
	// Capability is the pipeline and model.
	Capability Capability
	// Units is what the orchestrator charges for this request, computed as
	// go-livepeer's handleAIRequest does (server/ai_http.go:1402-1574): pay
	// exactly this many units (inPixels of /generate-live-payment).
	Units int64
	// Stream is true for an LLM request with stream:true (an SSE answer).
	Stream bool
	// ContentType is the body's Content-Type (application/json or multipart/form-data; boundary=...).
	ContentType string
	// Body is the encoded request body.
	Body []byte
	// InlineMedia leaves out the Authorization header (see PrepareOptions).
	InlineMedia bool
}

// Prepare validates req for capability c, fills in the defaults go-livepeer's
// gateway sends, sets the model (the request's model must be empty or equal
// c.Model), computes the units the orchestrator charges and encodes the
// body. Invalid input gives an *InputError (errors.Is ErrBadInput) before
// anything is paid; an audio-to-text request whose duration cannot be
// measured gives an *InputError wrapping the measuring error.
func Prepare(ctx context.Context, c Capability, req Request, opts *PrepareOptions) (*Call, error) {
	if opts == nil {
		opts = &PrepareOptions{}
	}
	if !c.Pipeline.Known() || c.Model == "" {
		return nil, &CapabilityError{Input: c.String(), Reason: "not a built-in batch AI pipeline with a model"}
	}
	if req == nil {
		return nil, &InputError{Pipeline: c.Pipeline, Reason: "no request"}
	}
	if req.Pipeline() != c.Pipeline {
		return nil, &InputError{Pipeline: c.Pipeline, Reason: fmt.Sprintf("request is for %s", req.Pipeline())}
	}
	call := &Call{Capability: c, InlineMedia: opts.InlineMedia}
	var err error
	switch r := req.(type) {
	case TextToImageParams:
		err = prepTextToImage(call, r)
	case *TextToImageParams:
		err = prepTextToImage(call, deref(r))
	case BodyGenImageToImage:
		err = prepImageToImage(call, r)
	case *BodyGenImageToImage:
		err = prepImageToImage(call, deref(r))
	case BodyGenImageToVideo:
		err = prepImageToVideo(call, r)
	case *BodyGenImageToVideo:
		err = prepImageToVideo(call, deref(r))
	case BodyGenUpscale:
		err = prepUpscale(call, r)
	case *BodyGenUpscale:
		err = prepUpscale(call, deref(r))
	case BodyGenAudioToText:
		err = prepAudioToText(ctx, call, r, opts)
	case *BodyGenAudioToText:
		err = prepAudioToText(ctx, call, deref(r), opts)
	case BodyGenSegmentAnything2:
		err = prepSegmentAnything2(call, r)
	case *BodyGenSegmentAnything2:
		err = prepSegmentAnything2(call, deref(r))
	case LLMRequest:
		err = prepLLM(call, r)
	case *LLMRequest:
		err = prepLLM(call, deref(r))
	case BodyGenImageToText:
		err = prepImageToText(call, r)
	case *BodyGenImageToText:
		err = prepImageToText(call, deref(r))
	case TextToSpeechParams:
		err = prepTextToSpeech(call, r)
	case *TextToSpeechParams:
		err = prepTextToSpeech(call, deref(r))
	default:
		err = &InputError{Pipeline: c.Pipeline, Reason: fmt.Sprintf("unsupported request type %T", req)}
	}
	if err != nil {
		return nil, err
	}
	if call.Units <= 0 {
		return nil, &InputError{Pipeline: c.Pipeline, Reason: "request costs no units"}
	}
	return call, nil
}

// deref returns *p, or the zero value for a nil pointer (which then fails validation).
func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

// modelID checks a request's model against the capability's and returns the one to send.
func modelID(c *Call, have string) (string, error) {
	if have != "" && have != c.Capability.Model {
		return "", &InputError{Pipeline: c.Capability.Pipeline, Field: "model_id", Reason: fmt.Sprintf("%q differs from the capability's model %q", have, c.Capability.Model)}
	}
	return c.Capability.Model, nil
}

// mulUnits multiplies positive factors, refusing overflow of int64.
func mulUnits(p Pipeline, factors ...int64) (int64, error) {
	u := uint64(1)
	for _, f := range factors {
		if f <= 0 {
			return 0, &InputError{Pipeline: p, Reason: "a size or count is not positive"}
		}
		hi, lo := bits.Mul64(u, uint64(f))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, &InputError{Pipeline: p, Reason: "the request's units overflow int64"}
		}
		u = lo
	}
	return int64(u), nil
}

func setJSON(c *Call, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &InputError{Pipeline: c.Capability.Pipeline, Reason: "encoding JSON", Err: err}
	}
	c.Body, c.ContentType = b, "application/json"
	return nil
}

// Ptr returns a pointer to v, for the optional fields of the request types
// (Width: aipipeline.Ptr(1024)).
func Ptr[T any](v T) *T { return &v }

func prepTextToImage(c *Call, r TextToImageParams) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	if r.Height == nil {
		r.Height = Ptr(DefaultTextToImageSize)
	}
	if r.Width == nil {
		r.Width = Ptr(DefaultTextToImageSize)
	}
	if *r.Height <= 0 || *r.Width <= 0 {
		return &InputError{Pipeline: p, Field: "height/width", Reason: "must be positive"}
	}
	r.NumImagesPerPrompt = Ptr(max(1, deref(r.NumImagesPerPrompt)))
	if c.Units, err = mulUnits(p, int64(*r.Height), int64(*r.Width), int64(*r.NumImagesPerPrompt)); err != nil {
		return err
	}
	return setJSON(c, r)
}

func prepImageToImage(c *Call, r BodyGenImageToImage) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	w, h, err := imageSize(p, r.Image)
	if err != nil {
		return err
	}
	r.NumImagesPerPrompt = Ptr(max(1, deref(r.NumImagesPerPrompt)))
	if c.Units, err = mulUnits(p, h, w, int64(*r.NumImagesPerPrompt)); err != nil {
		return err
	}
	return setMultipart(c, encodeImageToImage(r))
}

func prepImageToVideo(c *Call, r BodyGenImageToVideo) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	if _, _, err := imageSize(p, r.Image); err != nil {
		return err
	}
	if r.Height == nil {
		r.Height = Ptr(DefaultImageToVideoHeight)
	}
	if r.Width == nil {
		r.Width = Ptr(DefaultImageToVideoWidth)
	}
	if c.Units, err = mulUnits(p, int64(*r.Height), int64(*r.Width), ImageToVideoFrames); err != nil {
		return err
	}
	return setMultipart(c, encodeImageToVideo(r))
}

func prepUpscale(c *Call, r BodyGenUpscale) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	w, h, err := imageSize(p, r.Image)
	if err != nil {
		return err
	}
	if c.Units, err = mulUnits(p, h, w); err != nil {
		return err
	}
	return setMultipart(c, encodeUpscale(r))
}

func prepSegmentAnything2(c *Call, r BodyGenSegmentAnything2) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	w, h, err := imageSize(p, r.Image)
	if err != nil {
		return err
	}
	if c.Units, err = mulUnits(p, h, w); err != nil {
		return err
	}
	return setMultipart(c, encodeSegmentAnything2(r))
}

func prepImageToText(c *Call, r BodyGenImageToText) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	w, h, err := imageSize(p, r.Image)
	if err != nil {
		return err
	}
	if c.Units, err = mulUnits(p, h, w); err != nil {
		return err
	}
	return setMultipart(c, encodeImageToText(r))
}

func prepAudioToText(ctx context.Context, c *Call, r BodyGenAudioToText, opts *PrepareOptions) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	if len(r.Audio.Data) == 0 {
		return &InputError{Pipeline: p, Field: "audio", Reason: "empty"}
	}
	measure := opts.AudioDuration
	if measure == nil {
		measure = func(ctx context.Context, b []byte) (time.Duration, error) { return probeDuration(ctx, opts.FFprobe, b) }
	}
	d, err := measure(ctx, r.Audio.Data)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &InputError{Pipeline: p, Field: "audio", Reason: "cannot measure its duration", Err: err}
	}
	// The orchestrator truncates the duration to whole seconds and refuses
	// less than one (common/util.go:481-484; ai_http.go:1500-1504).
	secs := int64(d / time.Second)
	if secs <= 0 {
		return &InputError{Pipeline: p, Field: "audio", Reason: fmt.Sprintf("duration %v is under one second; the orchestrator refuses it", d)}
	}
	if c.Units, err = mulUnits(p, secs, AudioUnitsPerSecond); err != nil {
		return err
	}
	return setMultipart(c, encodeAudioToText(r, secs))
}

func prepLLM(c *Call, r LLMRequest) (err error) {
	p := c.Capability.Pipeline
	m, err := modelID(c, deref(r.Model))
	if err != nil {
		return err
	}
	r.Model = &m
	if r.MaxTokens == nil {
		r.MaxTokens = Ptr(DefaultLLMMaxTokens)
	}
	if *r.MaxTokens <= 0 {
		return &InputError{Pipeline: p, Field: "max_tokens", Reason: "must be positive"}
	}
	if r.Messages == nil {
		r.Messages = []LLMMessage{}
	}
	c.Units = int64(*r.MaxTokens)
	c.Stream = r.Stream != nil && *r.Stream
	return setJSON(c, r)
}

func prepTextToSpeech(c *Call, r TextToSpeechParams) (err error) {
	p := c.Capability.Pipeline
	if r.ModelId, err = modelID(c, r.ModelId); err != nil {
		return err
	}
	// go-livepeer's gateway refuses a missing text (ai_process.go:870-872);
	// an empty one would cost nothing, which the signer refuses.
	if r.Text == nil || *r.Text == "" {
		return &InputError{Pipeline: p, Field: "text", Reason: "required"}
	}
	if !utf8.ValidString(*r.Text) {
		return &InputError{Pipeline: p, Field: "text", Reason: "not valid UTF-8"}
	}
	if c.Units, err = mulUnits(p, int64(utf8.RuneCountInString(*r.Text)), TextToSpeechUnitsPerRune); err != nil {
		return err
	}
	return setJSON(c, r)
}
