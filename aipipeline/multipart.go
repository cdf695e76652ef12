package aipipeline

import (
	"bytes"
	"mime/multipart"
	"strconv"
)

// The multipart encoders write the file part first, then the set fields,
// with the names and value formats of go-livepeer's writers
// (ai/worker/multipart.go, master 176aa415ccea4f9861e0dd44e981cda17fb36f52);
// the orchestrator binds them with oapi-codegen's runtime.BindMultipart
// (server/utils.go:18-24).

// form collects the parts of one multipart body.
type form struct {
	fileField string
	file      File
	fields    [][2]string
}

func (f *form) str(name string, v *string) {
	if v != nil {
		f.fields = append(f.fields, [2]string{name, *v})
	}
}

func (f *form) val(name, v string) { f.fields = append(f.fields, [2]string{name, v}) }

func (f *form) int(name string, v *int) {
	if v != nil {
		f.val(name, strconv.Itoa(*v))
	}
}

func (f *form) float(name string, v *float32) {
	if v != nil {
		f.val(name, strconv.FormatFloat(float64(*v), 'f', -1, 32))
	}
}

func (f *form) bool(name string, v *bool) {
	if v != nil {
		f.val(name, strconv.FormatBool(*v))
	}
}

// setMultipart encodes f into c.Body.
func setMultipart(c *Call, f *form) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile(f.fileField, f.file.filename())
	if err == nil {
		_, err = w.Write(f.file.Data)
	}
	for _, kv := range f.fields {
		if err == nil {
			err = mw.WriteField(kv[0], kv[1])
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil { // writes to a bytes.Buffer only fail on invalid field names
		return &InputError{Pipeline: c.Capability.Pipeline, Reason: "encoding multipart body", Err: err}
	}
	c.Body, c.ContentType = buf.Bytes(), mw.FormDataContentType()
	return nil
}

func encodeImageToImage(r BodyGenImageToImage) *form {
	f := &form{fileField: "image", file: r.Image}
	f.val("prompt", r.Prompt)
	f.val("model_id", r.ModelId)
	f.str("loras", r.Loras)
	f.float("strength", r.Strength)
	f.float("guidance_scale", r.GuidanceScale)
	f.float("image_guidance_scale", r.ImageGuidanceScale)
	f.str("negative_prompt", r.NegativePrompt)
	f.bool("safety_check", r.SafetyCheck)
	f.int("seed", r.Seed)
	f.int("num_images_per_prompt", r.NumImagesPerPrompt)
	f.int("num_inference_steps", r.NumInferenceSteps)
	return f
}

func encodeImageToVideo(r BodyGenImageToVideo) *form {
	f := &form{fileField: "image", file: r.Image}
	f.val("model_id", r.ModelId)
	f.int("height", r.Height)
	f.int("width", r.Width)
	f.int("fps", r.Fps)
	f.int("motion_bucket_id", r.MotionBucketId)
	f.float("noise_aug_strength", r.NoiseAugStrength)
	f.int("seed", r.Seed)
	f.bool("safety_check", r.SafetyCheck)
	f.int("num_inference_steps", r.NumInferenceSteps)
	return f
}

func encodeUpscale(r BodyGenUpscale) *form {
	f := &form{fileField: "image", file: r.Image}
	f.val("prompt", r.Prompt)
	f.val("model_id", r.ModelId)
	f.bool("safety_check", r.SafetyCheck)
	f.int("seed", r.Seed)
	f.int("num_inference_steps", r.NumInferenceSteps)
	return f
}

// encodeAudioToText adds metadata {"duration":"<whole seconds>"}, as
// go-livepeer's gateway does (server/ai_process.go:961-966); the field is in
// go-livepeer's request type but not in the gateway OpenAPI document.
func encodeAudioToText(r BodyGenAudioToText, secs int64) *form {
	f := &form{fileField: "audio", file: r.Audio}
	f.val("model_id", r.ModelId)
	f.str("return_timestamps", r.ReturnTimestamps)
	f.val("metadata", `{"duration":"`+strconv.FormatInt(secs, 10)+`"}`)
	return f
}

func encodeSegmentAnything2(r BodyGenSegmentAnything2) *form {
	f := &form{fileField: "image", file: r.Image}
	f.val("model_id", r.ModelId)
	f.str("point_coords", r.PointCoords)
	f.str("point_labels", r.PointLabels)
	f.str("box", r.Box)
	f.str("mask_input", r.MaskInput)
	f.bool("multimask_output", r.MultimaskOutput)
	f.bool("return_logits", r.ReturnLogits)
	f.bool("normalize_coords", r.NormalizeCoords)
	return f
}

func encodeImageToText(r BodyGenImageToText) *form {
	f := &form{fileField: "image", file: r.Image}
	f.str("prompt", r.Prompt)
	f.val("model_id", r.ModelId)
	return f
}
