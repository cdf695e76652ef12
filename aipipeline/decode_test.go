package aipipeline

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var gifURL = "data:image/gif;base64," + base64.StdEncoding.EncodeToString(gif1x1)

// Every pipeline's JSON decodes into its request type (a value), and
// Prepare prices it as it prices the typed request.
func TestDecodeRequestEveryPipeline(t *testing.T) {
	opts := &PrepareOptions{AudioDuration: func(context.Context, []byte) (time.Duration, error) { return 2500 * time.Millisecond, nil }}
	for _, tc := range []struct {
		p     Pipeline
		json  string
		want  Request
		units int64
	}{
		{TextToImage, `{"prompt":"a red fox","width":320,"height":200,"num_images_per_prompt":2,"seed":7}`,
			TextToImageParams{Prompt: "a red fox", Width: Ptr(320), Height: Ptr(200), NumImagesPerPrompt: Ptr(2), Seed: Ptr(7)}, 320 * 200 * 2},
		{ImageToImage, `{"prompt":"invert","image":"` + gifURL + `","strength":0.5}`,
			BodyGenImageToImage{Prompt: "invert", Image: NewFile("file.gif", gif1x1), Strength: Ptr[float32](0.5)}, 1},
		{ImageToVideo, `{"image":"data:image/gif;name=a%20b.gif;base64,` + base64.StdEncoding.EncodeToString(gif1x1) + `","width":128,"height":96}`,
			BodyGenImageToVideo{Image: NewFile("a b.gif", gif1x1), Width: Ptr(128), Height: Ptr(96)}, 128 * 96 * 25},
		{Upscale, `{"prompt":"sharp","image":"` + gifURL + `"}`, BodyGenUpscale{Prompt: "sharp", Image: NewFile("file.gif", gif1x1)}, 1},
		{AudioToText, `{"audio":"data:audio/wav;base64,UklGRg==","return_timestamps":"word"}`,
			BodyGenAudioToText{Audio: NewFile("file.wav", []byte("RIFF")), ReturnTimestamps: Ptr("word")}, 2000},
		{SegmentAnything2, `{"image":"` + gifURL + `","point_coords":"[[1,1]]","multimask_output":false}`,
			BodyGenSegmentAnything2{Image: NewFile("file.gif", gif1x1), PointCoords: Ptr("[[1,1]]"), MultimaskOutput: Ptr(false)}, 1},
		{LLM, `{"messages":[{"role":"user","content":"hi"}],"max_tokens":64,"temperature":0.2}`,
			LLMRequest{Messages: []LLMMessage{{Role: "user", Content: "hi"}}, MaxTokens: Ptr(64), Temperature: Ptr[float32](0.2)}, 64},
		{ImageToText, `{"image":"` + gifURL + `","prompt":"what is it?"}`, BodyGenImageToText{Image: NewFile("file.gif", gif1x1), Prompt: Ptr("what is it?")}, 1},
		{TextToSpeech, ` {"text":"héllo","description":"calm"} `, TextToSpeechParams{Text: Ptr("héllo"), Description: Ptr("calm")}, 5000},
	} {
		t.Run(string(tc.p), func(t *testing.T) {
			req, err := DecodeRequest(tc.p, []byte(tc.json))
			require.NoError(t, err)
			assert.Equal(t, tc.want, req)
			call, err := Prepare(context.Background(), Capability{Pipeline: tc.p, Model: "m"}, req, opts)
			require.NoError(t, err)
			assert.Equal(t, tc.units, call.Units)

			// The typed request's JSON (a File as a data: URL) decodes to it again.
			b, err := json.Marshal(tc.want)
			require.NoError(t, err)
			again, err := DecodeRequest(tc.p, b)
			require.NoError(t, err, "%s", b)
			assert.Equal(t, tc.want, again)
		})
	}
}

func TestDecodeRequestRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Pipeline
		json  string
		field string
		says  string
	}{
		{"syntax", TextToImage, `{"prompt":`, "", "not valid JSON at byte 10"},
		{"trailing value", TextToImage, `{"prompt":"x"} {}`, "", "not valid JSON at byte 16"},
		{"empty", TextToImage, ` `, "", "empty"},
		{"an array", TextToImage, `[{"prompt":"x"}]`, "", "want a JSON object, got an array"},
		{"null", LLM, `null`, "", "want a JSON object, got null"},
		{"unknown field", TextToImage, `{"prompt":"x","colour":"red"}`, "colour", "unknown field; text-to-image takes guidance_scale, height, loras, model_id"},
		{"typo", TextToImage, `{"promt":"x"}`, "promt", `did you mean "prompt"?`},
		{"case", TextToImage, `{"Prompt":"x"}`, "Prompt", `did you mean "prompt"?`},
		{"nested unknown", LLM, `{"messages":[{"role":"user","content":"a"},{"role":"user","text":"b"}]}`, "messages[1].text", "unknown field; messages[1] takes content, role"},
		{"nested typo", LLM, `{"messages":[{"rol":"user","content":"a"}]}`, "messages[0].rol", `did you mean "role"?`},
		{"wrong type", TextToImage, `{"prompt":"x","width":"512"}`, "width", "want an integer, got JSON string"},
		{"fraction", TextToImage, `{"prompt":"x","height":1.5}`, "height", "want an integer, got JSON number 1.5"},
		{"nested wrong type", LLM, `{"messages":[{"role":"user","content":5}]}`, "messages.content", "want a string, got JSON number"},
		{"file not a string", ImageToImage, `{"prompt":"x","image":{"data":"abc"}}`, "image", "want a data: URL string"},
		{"file a path", Upscale, `{"prompt":"x","image":"@fox.png"}`, "image", "cannot read the file"},
		{"file bad base64", ImageToText, `{"image":"data:image/png;base64,!!!"}`, "image", "cannot read the file"},
		{"unknown pipeline", Pipeline("nope"), `{}`, "", "not a built-in batch AI pipeline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRequest(tc.p, []byte(tc.json))
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.ErrorIs(t, err, ErrBadInput)
			assert.Equal(t, tc.p, ie.Pipeline)
			assert.Equal(t, tc.field, ie.Field, err.Error())
			assert.Contains(t, err.Error(), tc.says)
		})
	}
	_, err := DecodeRequest(ImageToImage, []byte(`{"image":"x"}`))
	assert.ErrorIs(t, err, ErrNotDataURL)
}

func TestRequestFromMap(t *testing.T) {
	f := NewFile("red.gif", gif1x1)
	req, err := RequestFromMap(ImageToImage, map[string]any{"prompt": "invert", "image": f, "seed": json.Number("3"), "strength": 0.25})
	require.NoError(t, err)
	assert.Equal(t, BodyGenImageToImage{Prompt: "invert", Image: f, Seed: Ptr(3), Strength: Ptr[float32](0.25)}, req)
	req, err = RequestFromMap(AudioToText, map[string]any{"audio": &File{Name: "a.wav", Data: []byte("RIFF")}})
	require.NoError(t, err)
	assert.Equal(t, BodyGenAudioToText{Audio: File{Name: "a.wav", Data: []byte("RIFF")}}, req)
	req, err = RequestFromMap(Upscale, map[string]any{"prompt": "p", "image": gifURL})
	require.NoError(t, err)
	assert.Equal(t, BodyGenUpscale{Prompt: "p", Image: NewFile("file.gif", gif1x1)}, req)
	req, err = RequestFromMap(LLM, map[string]any{"messages": []map[string]string{{"role": "user", "content": "hi"}}})
	require.NoError(t, err)
	assert.Equal(t, LLMRequest{Messages: []LLMMessage{{Role: "user", Content: "hi"}}}, req)

	for _, tc := range []struct {
		name  string
		p     Pipeline
		m     map[string]any
		field string
		says  string
	}{
		{"file in a JSON pipeline", TextToImage, map[string]any{"prompt": "x", "image": f}, "image", "unknown field"},
		{"file in another field", ImageToImage, map[string]any{"prompt": f}, "prompt", `holds a File but is not a file field (image-to-image's file goes in "image")`},
		{"unknown key", LLM, map[string]any{"messages": []any{}, "max_token": 5}, "max_token", `did you mean "max_tokens"?`},
		{"wrong type", TextToSpeech, map[string]any{"text": 5}, "text", "want a string"},
		{"not JSON", TextToImage, map[string]any{"prompt": make(chan int)}, "", "cannot be encoded as JSON"},
		{"nil map", TextToImage, nil, "", "no request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RequestFromMap(tc.p, tc.m)
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.field, ie.Field, err.Error())
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

func TestFileField(t *testing.T) {
	want := map[Pipeline]string{TextToImage: "", ImageToImage: "image", ImageToVideo: "image", Upscale: "image",
		AudioToText: "audio", SegmentAnything2: "image", LLM: "", ImageToText: "image", TextToSpeech: "", "nope": ""}
	for p, f := range want {
		assert.Equal(t, f, p.FileField(), p)
	}
}

func TestFileJSON(t *testing.T) {
	for _, f := range []File{NewFile("fox.png", []byte("\x89PNG\r\n\x1a\nrest")), NewFile("a,b;c=d é.wav", []byte("RIFF....WAVEfmt ")), NewFile("", nil)} {
		b, err := json.Marshal(f)
		require.NoError(t, err)
		var back File
		require.NoError(t, json.Unmarshal(b, &back))
		if f.Name == "" {
			f.Name = "file" // text/plain has no extension of its own
		}
		assert.Equal(t, f.Name, back.Name, "%s", b)
		assert.Equal(t, len(f.Data), len(back.Data))
	}
	b, _ := json.Marshal(NewFile("fox.png", []byte("\x89PNG\r\n\x1a\n")))
	assert.Equal(t, `"data:image/png;name=fox.png;base64,iVBORw0KGgo="`, string(b))
	var f File
	require.NoError(t, json.Unmarshal([]byte(`"data:,a%20b"`), &f))
	assert.Equal(t, File{Name: "file", Data: []byte("a b")}, f)
	err := json.Unmarshal([]byte(`42`), &f)
	assert.True(t, errors.Is(err, ErrNotDataURL), "%v", err)
}
