package livepeertest

// File:line references to go-livepeer in this file are to master
// 176aa415ccea4f9861e0dd44e981cda17fb36f52 (ai-runner: 50a742cee7c5789ef4a10f8117f30de3758366a9).

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
)

// Bounds of the toy models: larger requests are refused as a runner's 400,
// so that a test cannot make the network allocate gigabytes.
const (
	toyMaxSide       = 4096
	toyMaxImages     = 4
	toyMaxVideoSide  = 1920
	toyMaxUpscaleIn  = 2048
	toySpeechPerRune = 60 * time.Millisecond
	toyMaxSpeech     = 30 * time.Second
	toySampleRate    = 16000
)

// llmStream is the toy LLM's answer to a streaming request: the chunks to send.
type llmStream []aipipeline.LLMResponse

// run is the AI runner: it computes the answer of pipeline p for j, storing
// generated files under requestID. Errors become the orchestrator's 500 text.
func (s *AIServer) run(ctx context.Context, p aipipeline.Pipeline, j *aiJob, requestID string, asURL bool) (any, error) {
	switch v := j.req.(type) {
	case aipipeline.TextToImageParams:
		return s.textToImage(p, v, requestID, asURL)
	case aipipeline.BodyGenImageToImage:
		return s.imageToImage(p, v, requestID, asURL)
	case aipipeline.BodyGenUpscale:
		return s.upscale(p, v, requestID, asURL)
	case aipipeline.BodyGenImageToVideo:
		return s.imageToVideo(ctx, p, v, requestID)
	case aipipeline.BodyGenAudioToText:
		return audioToText(j.audioSecs), nil
	case aipipeline.LLMRequest:
		return toyLLM(v)
	case aipipeline.BodyGenSegmentAnything2:
		return segmentAnything2(v, j.imgW, j.imgH), nil
	case aipipeline.BodyGenImageToText:
		return imageToText(p, v)
	case aipipeline.TextToSpeechParams:
		return s.textToSpeech(p, v, requestID)
	}
	return nil, fmt.Errorf("unknown request type %T", j.req)
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to a bytes.Buffer cannot fail
	return b.Bytes()
}

// textToImage renders the prompt, white on a background colour keyed by
// (prompt, seed), into num_images_per_prompt PNGs of the requested size.
func (s *AIServer) textToImage(p aipipeline.Pipeline, v aipipeline.TextToImageParams, requestID string, asURL bool) (any, error) {
	w, h, n := 512, 512, 1
	if v.Width != nil {
		w = *v.Width
	}
	if v.Height != nil {
		h = *v.Height
	}
	if v.NumImagesPerPrompt != nil {
		n = *v.NumImagesPerPrompt
	}
	switch {
	case strings.TrimSpace(v.Prompt) == "":
		return nil, runnerRefused(p, "prompt is required")
	case w <= 0 || h <= 0 || w > toyMaxSide || h > toyMaxSide:
		return nil, runnerRefused(p, "height and width must be in 1..%d", toyMaxSide)
	case n < 1 || n > toyMaxImages:
		return nil, runnerRefused(p, "num_images_per_prompt must be in 1..%d", toyMaxImages)
	}
	seed := int(hash64(v.Prompt) % 1_000_000)
	if v.Seed != nil {
		seed = *v.Seed
	}
	out := aipipeline.ImageResponse{}
	for i := range n {
		k := hash64(v.Prompt, strconv.Itoa(seed+i))
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{uint8(k), uint8(k >> 8), uint8(k >> 16), 255}), image.Point{}, draw.Src)
		drawText(img, v.Prompt)
		data := encodePNG(img)
		out.Images = append(out.Images, aipipeline.Media{Url: s.media(p, requestID, randomID()+".png", "image/png", data, asURL), Seed: seed + i})
	}
	return out, nil
}

// drawText writes text in basicfont 7×13, scaled to about 90 % of the
// image's width (at most a third of its height), centred.
func drawText(dst *image.RGBA, text string) {
	face := basicfont.Face7x13
	tw := font.MeasureString(face, text).Ceil()
	if tw == 0 {
		return
	}
	small := image.NewRGBA(image.Rect(0, 0, tw, 13))
	d := &font.Drawer{Dst: small, Src: image.White, Face: face, Dot: fixed.P(0, 11)}
	d.DrawString(text)
	b := dst.Bounds()
	scale := math.Min(float64(b.Dx())*0.9/float64(tw), float64(b.Dy())/3/13)
	sw, sh := max(1, int(float64(tw)*scale)), max(1, int(13*scale))
	x0, y0 := (b.Dx()-sw)/2, (b.Dy()-sh)/2
	xdraw.NearestNeighbor.Scale(dst, image.Rect(x0, y0, x0+sw, y0+sh), small, small.Bounds(), xdraw.Over, nil)
}

// imageToImage inverts the input's colours (and renders the prompt on it).
func (s *AIServer) imageToImage(p aipipeline.Pipeline, v aipipeline.BodyGenImageToImage, requestID string, asURL bool) (any, error) {
	src, err := decodeImage(v.Image.Data)
	if err != nil {
		return nil, runnerRefused(p, "cannot decode image: %v", err)
	}
	b := src.Bounds()
	n := 1
	if v.NumImagesPerPrompt != nil {
		n = *v.NumImagesPerPrompt
	}
	if b.Dx() > toyMaxSide || b.Dy() > toyMaxSide || n < 1 || n > toyMaxImages {
		return nil, runnerRefused(p, "image larger than %d or num_images_per_prompt not in 1..%d", toyMaxSide, toyMaxImages)
	}
	out := aipipeline.ImageResponse{}
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				r, g, bl, a := src.At(b.Min.X+x, b.Min.Y+y).RGBA()
				img.Set(x, y, color.RGBA{255 - uint8(r>>8), 255 - uint8(g>>8), 255 - uint8(bl>>8), uint8(a >> 8)})
			}
		}
		if v.Prompt != "" {
			drawText(img, v.Prompt)
		}
		seed := int(hash64(v.Prompt)%1_000_000) + i
		out.Images = append(out.Images, aipipeline.Media{Url: s.media(p, requestID, randomID()+".png", "image/png", encodePNG(img), asURL), Seed: seed})
	}
	return out, nil
}

// upscale doubles the input's width and height (bilinear).
func (s *AIServer) upscale(p aipipeline.Pipeline, v aipipeline.BodyGenUpscale, requestID string, asURL bool) (any, error) {
	src, err := decodeImage(v.Image.Data)
	if err != nil {
		return nil, runnerRefused(p, "cannot decode image: %v", err)
	}
	b := src.Bounds()
	if b.Dx() > toyMaxUpscaleIn || b.Dy() > toyMaxUpscaleIn {
		return nil, runnerRefused(p, "image larger than %d", toyMaxUpscaleIn)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 2*b.Dx(), 2*b.Dy()))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, xdraw.Src, nil)
	return aipipeline.ImageResponse{Images: []aipipeline.Media{{
		Url: s.media(p, requestID, randomID()+".png", "image/png", encodePNG(dst), asURL), Seed: int(hash64(v.Prompt) % 1_000_000),
	}}}, nil
}

// imageToVideo makes a 25-frame H.264 MP4 of the input at the requested
// size and fps with ffmpeg; its URL goes in images[0], as go-livepeer answers.
func (s *AIServer) imageToVideo(ctx context.Context, p aipipeline.Pipeline, v aipipeline.BodyGenImageToVideo, requestID string) (any, error) {
	w, h, fps := 1024, 576, 6
	if v.Width != nil {
		w = *v.Width
	}
	if v.Height != nil {
		h = *v.Height
	}
	if v.Fps != nil {
		fps = *v.Fps
	}
	if w < 2 || h < 2 || w > toyMaxVideoSide || h > toyMaxVideoSide || fps < 1 || fps > 60 {
		return nil, runnerRefused(p, "height and width must be in 2..%d and fps in 1..60", toyMaxVideoSide)
	}
	if _, err := decodeImageConfig(v.Image.Data); err != nil {
		return nil, runnerRefused(p, "cannot decode image: %v", err)
	}
	dir, err := os.MkdirTemp("", "livepeertest-i2v-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out.mp4")
	if err := os.WriteFile(in, v.Image.Data, 0o600); err != nil {
		return nil, err
	}
	ffmpeg := s.cfg.FFmpeg
	if ffmpeg == "" {
		ffmpeg = "ffmpeg"
	}
	// Even sizes for yuv420p; zoompan makes 25 frames of the one input
	// frame, zooming slowly so that they differ.
	vf := fmt.Sprintf("scale=%d:%d,zoompan=z='1+0.01*on':d=25:s=%dx%d:fps=%d,format=yuv420p", w&^1, h&^1, w&^1, h&^1, fps)
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-v", "error", "-y", "-i", in, "-vf", vf,
		"-frames:v", "25", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", "-f", "mp4", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("image-to-video: ffmpeg: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	seed := int(hash64(v.Image.Name) % 1_000_000)
	if v.Seed != nil {
		seed = *v.Seed
	}
	return aipipeline.ImageResponse{Images: []aipipeline.Media{{Url: s.store(requestID, randomID()+".mp4", "video/mp4", data), Seed: seed}}}, nil
}

// probeSeconds returns the duration ffprobe reads from the container.
func probeSeconds(ctx context.Context, ffprobe string, data []byte) (float64, error) {
	if ffprobe == "" {
		ffprobe = "ffprobe"
	}
	f, err := os.CreateTemp("", "livepeertest-audio-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=noprint_wrappers=1:nokey=1", f.Name()).Output()
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// audioToText answers one chunk per started 5 seconds of audio.
func audioToText(secs float64) aipipeline.TextResponse {
	var out aipipeline.TextResponse
	for i, t := 0, 0.0; t < secs; i, t = i+1, t+5 {
		end := math.Min(t+5, secs)
		text := fmt.Sprintf(" Segment %d, %.1f to %.1f seconds.", i+1, t, end)
		out.Chunks = append(out.Chunks, aipipeline.Chunk{Text: text, Timestamp: []interface{}{t, end}})
		out.Text += text
	}
	out.Text = strings.TrimSpace(out.Text)
	return out
}

// toyLLM answers a canned sentence that quotes the last user message, one
// token per word, cut at max_tokens. Streaming: one chunk per token with
// finish_reason "" and running usage, then an empty chunk with
// finish_reason "stop" (ai-runner reports "stop" even when max_tokens cut
// the answer, runner/src/runner/pipelines/llm.py:225-278).
func toyLLM(v aipipeline.LLMRequest) (any, error) {
	var last string
	prompt := 0
	for _, m := range v.Messages {
		prompt += len(strings.Fields(m.Content))
		if m.Role == "user" {
			last = m.Content
		}
	}
	if len(v.Messages) == 0 {
		return nil, runnerRefused(aipipeline.LLM, "messages must not be empty")
	}
	max := 256
	if v.MaxTokens != nil {
		max = *v.MaxTokens
	}
	if max < 1 {
		return nil, runnerRefused(aipipeline.LLM, "max_tokens must be at least 1")
	}
	tokens := strings.SplitAfter("Hello from the livepeertest toy model. You said: "+strings.Join(strings.Fields(last), " "), " ")
	if len(tokens) > max {
		tokens = tokens[:max]
	}
	id := "chatcmpl-" + randomID()
	created := int(time.Now().Unix())
	model := deref(v.Model)
	usage := func(n int) aipipeline.LLMTokenUsage {
		return aipipeline.LLMTokenUsage{PromptTokens: prompt, CompletionTokens: n, TotalTokens: prompt + n}
	}
	stop, empty := "stop", ""
	if v.Stream == nil || !*v.Stream {
		return aipipeline.LLMResponse{Id: id, Model: model, Created: created, Usage: usage(len(tokens)),
			Choices: []aipipeline.LLMChoice{{Index: 0, FinishReason: &stop, Message: &aipipeline.LLMMessage{Role: "assistant", Content: strings.Join(tokens, "")}}}}, nil
	}
	var out llmStream
	for i, t := range tokens {
		out = append(out, aipipeline.LLMResponse{Id: id, Model: model, Created: created, Usage: usage(i + 1),
			Choices: []aipipeline.LLMChoice{{Index: 0, FinishReason: &empty, Delta: &aipipeline.LLMMessage{Role: "assistant", Content: t}}}})
	}
	out = append(out, aipipeline.LLMResponse{Id: id, Model: model, Created: created, Usage: usage(len(tokens)),
		Choices: []aipipeline.LLMChoice{{Index: 0, FinishReason: &stop, Delta: &aipipeline.LLMMessage{Role: "assistant", Content: ""}}}})
	return out, nil
}

// writeLLMStream sends the chunks as go-livepeer does: "data: <json>\n\n"
// each, flushed, stopping after the one with a finish_reason and sending no
// [DONE] (server/ai_http.go:1695-1727).
func (s *AIServer) writeLLMStream(w http.ResponseWriter, r *http.Request, chunks llmStream) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "Streaming unsupported!", http.StatusInternalServerError)
		return
	}
	for _, ch := range chunks {
		if r.Context().Err() != nil {
			return
		}
		data, err := jsonMarshal(ch)
		if err != nil {
			continue
		}
		fmt.Fprintf(w, "data: %s\n\n", data)
		flusher.Flush()
		if fr := ch.Choices[0].FinishReason; fr != nil && *fr != "" {
			break
		}
	}
}

// segmentAnything2 answers one mask per prompt (three with
// multimask_output, its default), each an 8×8 grid marking a disc around
// the first point (or the centre), as the strings ai-runner returns.
func segmentAnything2(v aipipeline.BodyGenSegmentAnything2, w, h int) aipipeline.MasksResponse {
	cx, cy := float64(w)/2, float64(h)/2
	if v.PointCoords != nil {
		var x, y float64
		if _, err := fmt.Sscanf(strings.Trim(*v.PointCoords, "[] "), "%g,%g", &x, &y); err == nil {
			cx, cy = x, y
		}
	}
	n := 3
	if v.MultimaskOutput != nil && !*v.MultimaskOutput {
		n = 1
	}
	var masks, logits, scores []string
	for k := range n {
		radius := float64(min(w, h)) * (0.15 + 0.1*float64(k))
		var mrows, lrows []string
		for gy := range 8 {
			var mr, lr []string
			for gx := range 8 {
				px, py := (float64(gx)+0.5)*float64(w)/8, (float64(gy)+0.5)*float64(h)/8
				d := math.Hypot(px-cx, py-cy)
				in := 0
				if d <= radius {
					in = 1
				}
				mr = append(mr, strconv.Itoa(in))
				lr = append(lr, strconv.FormatFloat((radius-d)/radius*4, 'f', 2, 64))
			}
			mrows = append(mrows, "["+strings.Join(mr, ", ")+"]")
			lrows = append(lrows, "["+strings.Join(lr, ", ")+"]")
		}
		masks = append(masks, "["+strings.Join(mrows, ", ")+"]")
		logits = append(logits, "["+strings.Join(lrows, ", ")+"]")
		scores = append(scores, strconv.FormatFloat(0.95-0.1*float64(k), 'f', 2, 64))
	}
	return aipipeline.MasksResponse{
		Masks:  "[" + strings.Join(masks, ", ") + "]",
		Scores: "[" + strings.Join(scores, ", ") + "]",
		Logits: "[" + strings.Join(logits, ", ") + "]",
	}
}

// imageToText captions the image with its size and dominant colour.
func imageToText(p aipipeline.Pipeline, v aipipeline.BodyGenImageToText) (any, error) {
	img, err := decodeImage(v.Image.Data)
	if err != nil {
		return nil, runnerRefused(p, "cannot decode image: %v", err)
	}
	b := img.Bounds()
	var r, g, bl, n uint64
	step := max(1, b.Dx()/64, b.Dy()/64)
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, bl, n = r+uint64(cr>>8), g+uint64(cg>>8), bl+uint64(cb>>8), n+1
		}
	}
	r, g, bl = r/n, g/n, bl/n
	name := "grey"
	switch {
	case r > g+32 && r > bl+32:
		name = "red"
	case g > r+32 && g > bl+32:
		name = "green"
	case bl > r+32 && bl > g+32:
		name = "blue"
	case r > 200 && g > 200 && bl > 200:
		name = "white"
	case r < 40 && g < 40 && bl < 40:
		name = "black"
	}
	text := fmt.Sprintf("a %dx%d picture, mostly %s", b.Dx(), b.Dy(), name)
	if pr := strings.TrimSpace(deref(v.Prompt)); pr != "" {
		text = pr + " " + text
	}
	return aipipeline.ImageToTextResponse{Text: text}, nil
}

// textToSpeech writes a 16 kHz mono 16-bit WAV: one 60 ms tone per rune
// (silence for spaces), pitch keyed by the rune, at most 30 s.
func (s *AIServer) textToSpeech(p aipipeline.Pipeline, v aipipeline.TextToSpeechParams, requestID string) (any, error) {
	text := deref(v.Text)
	if strings.TrimSpace(text) == "" {
		return nil, runnerRefused(p, "text is required")
	}
	per := int(toySpeechPerRune.Seconds() * toySampleRate)
	maxSamples := int(toyMaxSpeech.Seconds() * toySampleRate)
	var pcm []int16
	for _, r := range text {
		if len(pcm)+per > maxSamples {
			break
		}
		f := 200 + float64(r%40)*20
		for i := range per {
			var x float64
			if r != ' ' {
				x = 0.3 * math.Sin(2*math.Pi*f*float64(i)/toySampleRate)
			}
			pcm = append(pcm, int16(x*math.MaxInt16))
		}
	}
	return aipipeline.AudioResponse{Audio: aipipeline.MediaURL{Url: s.store(requestID, randomID()+".wav", "audio/wav", wav(pcm, toySampleRate))}}, nil
}

// wav encodes mono 16-bit PCM samples as a RIFF WAVE file.
func wav(pcm []int16, rate int) []byte {
	var b bytes.Buffer
	data := len(pcm) * 2
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&b, le, v) // fixed-size values into a bytes.Buffer cannot fail
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(data))
	_ = binary.Write(&b, le, pcm)
	return b.Bytes()
}
