package livepeertest

// File:line references to go-livepeer in this file are to master
// 176aa415ccea4f9861e0dd44e981cda17fb36f52 (ai-runner: 50a742cee7c5789ef4a10f8117f30de3758366a9).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strconv"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
)

// maxAIRequestBytes bounds one AI request body held in memory (go-livepeer
// allows 3 GB, server/ai_http.go:40; a test network needs far less).
const maxAIRequestBytes = 256 << 20

// decodeAIRequest is go-livepeer's jsonDecoder / multipartDecoder step
// (server/utils.go:12-24): an undecodable body is a 400 with the decoder's text.
func decodeAIRequest(p aipipeline.Pipeline, r *http.Request) (aipipeline.Request, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxAIRequestBytes)
	switch p {
	case aipipeline.TextToImage:
		var v aipipeline.TextToImageParams
		return v, json.NewDecoder(r.Body).Decode(&v)
	case aipipeline.LLM:
		var v aipipeline.LLMRequest
		return v, json.NewDecoder(r.Body).Decode(&v)
	case aipipeline.TextToSpeech:
		var v aipipeline.TextToSpeechParams
		return v, json.NewDecoder(r.Body).Decode(&v)
	}
	f, err := readForm(r)
	if err != nil {
		return nil, err
	}
	switch p {
	case aipipeline.ImageToImage:
		v := aipipeline.BodyGenImageToImage{Image: f.file("image"), Prompt: deref(f.str("prompt")), ModelId: deref(f.str("model_id")),
			Loras: f.str("loras"), NegativePrompt: f.str("negative_prompt")}
		v.Strength, v.GuidanceScale, v.ImageGuidanceScale = f.float("strength"), f.float("guidance_scale"), f.float("image_guidance_scale")
		v.SafetyCheck, v.Seed = f.bool("safety_check"), f.int("seed")
		v.NumImagesPerPrompt, v.NumInferenceSteps = f.int("num_images_per_prompt"), f.int("num_inference_steps")
		return v, f.err
	case aipipeline.ImageToVideo:
		v := aipipeline.BodyGenImageToVideo{Image: f.file("image"), ModelId: deref(f.str("model_id")),
			Height: f.int("height"), Width: f.int("width"), Fps: f.int("fps"), MotionBucketId: f.int("motion_bucket_id"),
			NoiseAugStrength: f.float("noise_aug_strength"), Seed: f.int("seed"), SafetyCheck: f.bool("safety_check"),
			NumInferenceSteps: f.int("num_inference_steps")}
		return v, f.err
	case aipipeline.Upscale:
		v := aipipeline.BodyGenUpscale{Image: f.file("image"), Prompt: deref(f.str("prompt")), ModelId: deref(f.str("model_id")),
			SafetyCheck: f.bool("safety_check"), Seed: f.int("seed"), NumInferenceSteps: f.int("num_inference_steps")}
		return v, f.err
	case aipipeline.AudioToText:
		v := aipipeline.BodyGenAudioToText{Audio: f.file("audio"), ModelId: deref(f.str("model_id")), ReturnTimestamps: f.str("return_timestamps")}
		return v, f.err
	case aipipeline.SegmentAnything2:
		v := aipipeline.BodyGenSegmentAnything2{Image: f.file("image"), ModelId: deref(f.str("model_id")),
			PointCoords: f.str("point_coords"), PointLabels: f.str("point_labels"), Box: f.str("box"), MaskInput: f.str("mask_input"),
			MultimaskOutput: f.bool("multimask_output"), ReturnLogits: f.bool("return_logits"), NormalizeCoords: f.bool("normalize_coords")}
		return v, f.err
	case aipipeline.ImageToText:
		v := aipipeline.BodyGenImageToText{Image: f.file("image"), Prompt: f.str("prompt"), ModelId: deref(f.str("model_id"))}
		return v, f.err
	}
	return nil, errors.New("Unknown request type")
}

func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

// aiForm is a parsed multipart body: files and text fields by name.
type aiForm struct {
	files  map[string]aipipeline.File
	values map[string]string
	err    error // the first field that did not parse
}

func readForm(r *http.Request) (*aiForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	f := &aiForm{files: map[string]aipipeline.File{}, values: map[string]string{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		if part.FileName() != "" {
			f.files[part.FormName()] = aipipeline.File{Name: part.FileName(), Data: b}
		} else {
			f.values[part.FormName()] = string(b)
		}
	}
}

func (f *aiForm) file(name string) aipipeline.File { return f.files[name] }

func (f *aiForm) str(name string) *string {
	v, ok := f.values[name]
	if !ok {
		return nil
	}
	return &v
}

func (f *aiForm) fail(name string, err error) {
	if f.err == nil {
		f.err = fmt.Errorf("error binding field %s: %w", name, err)
	}
}

func (f *aiForm) int(name string) *int {
	s := f.str(name)
	if s == nil {
		return nil
	}
	n, err := strconv.Atoi(*s)
	if err != nil {
		f.fail(name, err)
		return nil
	}
	return &n
}

func (f *aiForm) float(name string) *float32 {
	s := f.str(name)
	if s == nil {
		return nil
	}
	x, err := strconv.ParseFloat(*s, 32)
	if err != nil {
		f.fail(name, err)
		return nil
	}
	v := float32(x)
	return &v
}

func (f *aiForm) bool(name string) *bool {
	s := f.str(name)
	if s == nil {
		return nil
	}
	b, err := strconv.ParseBool(*s)
	if err != nil {
		f.fail(name, err)
		return nil
	}
	return &b
}

// decodeImageConfig is image.DecodeConfig over the formats go-livepeer
// registers (PNG, JPEG, GIF; ai/worker/b64.go:7-9), without registering
// them globally. Its error text is what the orchestrator answers with 400.
func decodeImageConfig(b []byte) (image.Config, error) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return png.DecodeConfig(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return jpeg.DecodeConfig(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte("GIF8")):
		return gif.DecodeConfig(bytes.NewReader(b))
	}
	return image.Config{}, image.ErrFormat
}

// decodeImage decodes a PNG, JPEG or GIF image.
func decodeImage(b []byte) (image.Image, error) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return png.Decode(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return jpeg.Decode(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte("GIF8")):
		return gif.Decode(bytes.NewReader(b))
	}
	return nil, image.ErrFormat
}
