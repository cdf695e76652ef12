package aipipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
)

// MaxMediaBytes bounds one media file fetched by Output.Bytes (1 GiB).
const MaxMediaBytes = 1 << 30

// ErrMediaTooLarge is returned by Output.Bytes for a file over MaxMediaBytes.
var ErrMediaTooLarge = errors.New("aipipeline: media larger than MaxMediaBytes")

// Result is the answer of one orchestrator to one request. Exactly one of
// Images, Text, Masks, ImageText, Audio and LLM is set, by pipeline.
type Result struct {
	Capability   Capability
	Orchestrator string   // the orchestrator's URL
	Units        int64    // units paid and charged
	Fee          *big.Rat // Units × Target.PricePerUnit in wei; nil when the price was not given
	// Info is the orchestrator's OrchestratorInfo the payment was made on
	// (Client.Run); nil from the package-level Run.
	Info *discovery.Info

	// Images: text-to-image, image-to-image, upscale; image-to-video puts its
	// .mp4 in Images[0] (ai-runner answers ImageResponse there, not the
	// VideoResponse its OpenAPI document names).
	Images []Output
	// Text: audio-to-text.
	Text *TextResponse
	// Masks: segment-anything-2.
	Masks *MasksResponse
	// ImageText: image-to-text.
	ImageText *ImageToTextResponse
	// Audio: text-to-speech (a WAV).
	Audio *Output
	// LLM: llm without stream.
	LLM *LLMResponse

	// Body is the orchestrator's JSON answer as received.
	Body json.RawMessage
}

// Output is one generated file: a URL on the orchestrator (when the request
// carried the AI-worker Authorization header, the default) or an inline
// data: URL. Bytes fetches or decodes it on demand.
type Output struct {
	URL  string
	Seed int  // 0 for audio
	NSFW bool // false for audio
	hc   *http.Client
	base *url.URL
}

// Inline reports whether the output is held in a data: URL.
func (m *Output) Inline() bool { return strings.HasPrefix(m.URL, "data:") }

// Bytes returns the media's content: decoded from a data: URL, or fetched
// with GET from the orchestrator (with the HTTP client of the request;
// orchestrators keep results about 10 minutes, go-livepeer master
// 176aa415ccea core/ai_orchestrator.go:35,
// 984-1002). It returns ErrMediaTooLarge past MaxMediaBytes and an error
// naming the status for a non-200 answer.
func (m *Output) Bytes(ctx context.Context) ([]byte, error) {
	if m.Inline() {
		_, b, err := decodeDataURL(m.URL)
		if err != nil {
			return nil, fmt.Errorf("aipipeline: media: %w", err)
		}
		return b, nil
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return nil, fmt.Errorf("aipipeline: media URL: %w", err)
	}
	if m.base != nil {
		u = m.base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("aipipeline: media URL %q: not http(s) or data:", m.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("aipipeline: media: %w", err)
	}
	// A one-off download: no idle connection is left behind.
	req.Close = true
	hc := m.hc
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("aipipeline: fetching media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("aipipeline: fetching media %s: status %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("aipipeline: fetching media: %w", err)
	}
	if len(b) > MaxMediaBytes {
		return nil, ErrMediaTooLarge
	}
	return b, nil
}

// decodeResult fills res from the orchestrator's 200 JSON answer.
func decodeResult(res *Result, body []byte, hc *http.Client, base *url.URL) error {
	res.Body = body
	media := func(ms []Output) {
		for i := range ms {
			ms[i].hc, ms[i].base = hc, base
		}
	}
	switch res.Capability.Pipeline {
	case TextToImage, ImageToImage, Upscale, ImageToVideo:
		var r ImageResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		if len(r.Images) == 0 {
			return errors.New("no images in the answer")
		}
		for _, im := range r.Images {
			res.Images = append(res.Images, Output{URL: im.Url, Seed: im.Seed, NSFW: im.Nsfw})
		}
		media(res.Images)
	case AudioToText:
		res.Text = new(TextResponse)
		return json.Unmarshal(body, res.Text)
	case SegmentAnything2:
		res.Masks = new(MasksResponse)
		return json.Unmarshal(body, res.Masks)
	case ImageToText:
		res.ImageText = new(ImageToTextResponse)
		return json.Unmarshal(body, res.ImageText)
	case LLM:
		res.LLM = new(LLMResponse)
		if err := json.Unmarshal(body, res.LLM); err != nil {
			return err
		}
		if len(res.LLM.Choices) == 0 {
			return errors.New("no choices in the answer")
		}
	case TextToSpeech:
		var r AudioResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		if r.Audio.Url == "" {
			return errors.New("no audio URL in the answer")
		}
		res.Audio = &Output{URL: r.Audio.Url, hc: hc, base: base}
	default:
		return fmt.Errorf("unknown pipeline %q", res.Capability.Pipeline)
	}
	return nil
}
