package aipipeline_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func pngOf(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// wavOf is secs seconds of a 440 Hz tone, 8 kHz mono 16-bit.
func wavOf(secs float64) []byte {
	const rate = 8000
	n := int(secs * rate)
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(2*n))
	for i := range n {
		_ = binary.Write(&b, le, int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return b.Bytes()
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
}

// pipelineCase is one request of each pipeline with what its answer must hold.
type pipelineCase struct {
	capability string
	req        aipipeline.Request
	units      int64
	check      func(t *testing.T, ctx context.Context, res *aipipeline.Result)
}

func pipelineCases(t *testing.T) []pipelineCase {
	red := pngOf(t, 64, 48, color.RGBA{220, 10, 10, 255})
	return []pipelineCase{
		{"text-to-image/" + livepeertest.AIModelTextToImage,
			aipipeline.TextToImageParams{Prompt: "a red fox", Width: aipipeline.Ptr(320), Height: aipipeline.Ptr(200), NumImagesPerPrompt: aipipeline.Ptr(2)},
			320 * 200 * 2, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				require.Len(t, res.Images, 2)
				for _, im := range res.Images {
					assert.False(t, im.Inline(), "with the AI-worker header the orchestrator answers URLs")
					cfg := decodePNG(t, ctx, im)
					assert.Equal(t, [2]int{320, 200}, [2]int{cfg.Bounds().Dx(), cfg.Bounds().Dy()})
				}
				assert.NotEqual(t, res.Images[0].Seed, res.Images[1].Seed)
			}},
		{"image-to-image/" + livepeertest.AIModelImageToImage,
			aipipeline.BodyGenImageToImage{Prompt: "invert", Image: aipipeline.NewFile("red.png", red)},
			64 * 48, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				img := decodePNG(t, ctx, res.Images[0])
				assert.Equal(t, image.Rect(0, 0, 64, 48), img.Bounds())
				r, g, b, _ := img.At(0, 0).RGBA()
				assert.Equal(t, [3]uint32{35, 245, 245}, [3]uint32{r >> 8, g >> 8, b >> 8}, "colours inverted")
			}},
		{"image-to-video/" + livepeertest.AIModelImageToVideo,
			aipipeline.BodyGenImageToVideo{Image: aipipeline.NewFile("red.png", red), Width: aipipeline.Ptr(128), Height: aipipeline.Ptr(96)},
			128 * 96 * 25, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				require.Len(t, res.Images, 1)
				assert.True(t, strings.HasSuffix(res.Images[0].URL, ".mp4"), res.Images[0].URL)
				b, err := res.Images[0].Bytes(ctx)
				require.NoError(t, err)
				out := ffprobe(t, b, "stream=width,height,nb_frames")
				assert.Contains(t, out, "width=128")
				assert.Contains(t, out, "height=96")
				assert.Contains(t, out, "nb_frames=25")
			}},
		{"upscale/" + livepeertest.AIModelUpscale,
			aipipeline.BodyGenUpscale{Prompt: "sharp", Image: aipipeline.NewFile("red.png", red)},
			64 * 48, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				assert.Equal(t, image.Rect(0, 0, 128, 96), decodePNG(t, ctx, res.Images[0]).Bounds())
			}},
		{"audio-to-text/" + livepeertest.AIModelAudioToText,
			aipipeline.BodyGenAudioToText{Audio: aipipeline.NewFile("tone.wav", wavOf(7.5))},
			7 * 1000, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				require.NotNil(t, res.Text)
				require.Len(t, res.Text.Chunks, 2, "one chunk per started 5 s of 7.5 s")
				assert.Equal(t, []any{5.0, 7.5}, res.Text.Chunks[1].Timestamp)
			}},
		{"segment-anything-2/" + livepeertest.AIModelSegmentAnything2,
			aipipeline.BodyGenSegmentAnything2{Image: aipipeline.NewFile("red.png", red), PointCoords: aipipeline.Ptr("[[10,10]]"), MultimaskOutput: aipipeline.Ptr(false)},
			64 * 48, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				require.NotNil(t, res.Masks)
				assert.True(t, strings.HasPrefix(res.Masks.Masks, "[[[0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, "), "a disc around (10,10): %s", res.Masks.Masks)
				assert.Equal(t, "[0.95]", res.Masks.Scores)
			}},
		{"llm/" + livepeertest.AIModelLLM,
			aipipeline.LLMRequest{Messages: []aipipeline.LLMMessage{{Role: "user", Content: "hi there"}}, MaxTokens: aipipeline.Ptr(5)},
			5, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				require.NotNil(t, res.LLM)
				assert.Equal(t, "Hello from the livepeertest toy ", res.LLM.Choices[0].Message.Content, "cut at max_tokens")
				assert.Equal(t, 5, res.LLM.Usage.CompletionTokens)
			}},
		{"image-to-text/" + livepeertest.AIModelImageToText,
			aipipeline.BodyGenImageToText{Image: aipipeline.NewFile("red.png", red)},
			64 * 48, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				assert.Equal(t, "a 64x48 picture, mostly red", res.ImageText.Text)
			}},
		{"text-to-speech/" + livepeertest.AIModelTextToSpeech,
			aipipeline.TextToSpeechParams{Text: aipipeline.Ptr("héllo")},
			5 * 1000, func(t *testing.T, ctx context.Context, res *aipipeline.Result) {
				require.NotNil(t, res.Audio)
				b, err := res.Audio.Bytes(ctx)
				require.NoError(t, err)
				assert.Equal(t, "RIFF", string(b[:4]))
				assert.Contains(t, ffprobe(t, b, "format=duration"), "duration=0.3")
			}},
	}
}

func decodePNG(t *testing.T, ctx context.Context, o aipipeline.Output) image.Image {
	t.Helper()
	b, err := o.Bytes(ctx)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img
}

func ffprobe(t *testing.T, data []byte, entries string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, data, 0o600))
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", entries, "-of", "default=noprint_wrappers=1", p).CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.ReplaceAll(string(out), "nb_read_frames", "nb_frames")
}

// TestEveryPipeline sends one request of each pipeline through Run on the
// in-process network and checks the answer and that the orchestrator
// charged exactly the units the client computed and paid.
func TestEveryPipeline(t *testing.T) {
	needFFmpeg(t)
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, tc := range pipelineCases(t) {
		t.Run(tc.capability, func(t *testing.T) {
			c := mustCap(t, tc.capability)
			call, err := aipipeline.Prepare(ctx, c, tc.req, nil)
			require.NoError(t, err)
			require.Equal(t, tc.units, call.Units)
			target := n.target(0, c)
			res, err := aipipeline.Run(ctx, n.hc, target, call, n.payer)
			require.NoError(t, err)
			assert.Equal(t, tc.units, res.Units)
			assert.Equal(t, 0, res.Fee.Cmp(new(big.Rat).Mul(target.PricePerUnit, big.NewRat(tc.units, 1))))
			charges := n.AI()[0].Charges()
			last := charges[len(charges)-1]
			assert.Equal(t, tc.capability, last.Capability)
			assert.Equal(t, tc.units, last.Units, "units charged = units paid")
			assert.Equal(t, 0, last.Fee.Cmp(res.Fee), "fee debited = units × price")
			pays := n.Signer().BatchPayments()
			assert.Equal(t, tc.units, pays[len(pays)-1].Units, "signer paid inPixels = units")
			assert.Equal(t, c.ManifestID(), pays[len(pays)-1].ManifestID)
			tc.check(t, ctx, res)
		})
	}
}

// TestInlineMedia: without the AI-worker Authorization header the image
// pipelines answer data: URLs, which Bytes decodes.
func TestInlineMedia(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx := context.Background()
	c := mustCap(t, "text-to-image/"+livepeertest.AIModelTextToImage)
	call, err := aipipeline.Prepare(ctx, c, aipipeline.TextToImageParams{Prompt: "inline", Width: aipipeline.Ptr(64), Height: aipipeline.Ptr(32)}, &aipipeline.PrepareOptions{InlineMedia: true})
	require.NoError(t, err)
	res, err := aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	require.NoError(t, err)
	require.True(t, res.Images[0].Inline())
	assert.True(t, strings.HasPrefix(res.Images[0].URL, "data:image/png;base64,"))
	assert.Equal(t, image.Rect(0, 0, 64, 32), decodePNG(t, ctx, res.Images[0]).Bounds())
}

// TestLedgersAgree makes 50 mixed calls over three orchestrators and checks
// that the signer's ledger (units paid, EV of the tickets it signed) and the
// orchestrators' ledgers (units charged, tickets credited) agree, and that
// every balance covers its fees.
func TestLedgersAgree(t *testing.T) {
	needFFmpeg(t)
	n := newAINet(t, livepeertest.NetworkConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cases := pipelineCases(t)
	var paid int64
	for i := range 50 {
		tc := cases[i%len(cases)]
		if strings.HasPrefix(tc.capability, "image-to-video/") && i >= len(cases) {
			tc = cases[0] // ffmpeg once is enough
		}
		c := mustCap(t, tc.capability)
		call, err := aipipeline.Prepare(ctx, c, tc.req, nil)
		require.NoError(t, err)
		var res *aipipeline.Result
		var units int64
		if c.Pipeline == aipipeline.LLM && i%2 == 1 {
			req := tc.req.(aipipeline.LLMRequest)
			req.Stream = aipipeline.Ptr(true)
			call, err = aipipeline.Prepare(ctx, c, req, nil)
			require.NoError(t, err)
			st, err := aipipeline.Stream(ctx, n.hc, n.target(i%3, c), call, n.payer)
			require.NoError(t, err)
			for _, err := range st.Chunks() {
				require.NoError(t, err)
			}
			units = st.Units
		} else {
			res, err = aipipeline.Run(ctx, n.hc, n.target(i%3, c), call, n.payer)
			require.NoError(t, err, tc.capability)
			units = res.Units
		}
		paid += units
	}
	var signerUnits int64
	signerByManifest := map[string]int64{}
	for _, p := range n.Signer().BatchPayments() {
		signerUnits += p.Units
		signerByManifest[p.ManifestID] += p.Units
	}
	var charged int64
	chargedByManifest := map[string]int64{}
	credited, fees := new(big.Rat), map[string]*big.Rat{}
	for i, o := range n.Orchestrators() {
		credited.Add(credited, new(big.Rat).Mul(ticketEV(), big.NewRat(int64(o.TicketsReceived()), 1)))
		for _, ch := range n.AI()[i].Charges() {
			charged += ch.Units
			chargedByManifest[ch.ManifestID] += ch.Units
			k := o.URL() + " " + ch.ManifestID
			if fees[k] == nil {
				fees[k] = new(big.Rat)
			}
			fees[k].Add(fees[k], ch.Fee)
			assert.Equal(t, n.Signer().Address(), ch.Sender)
		}
		for k, fee := range fees {
			url, manifest, _ := strings.Cut(k, " ")
			if url != o.URL() {
				continue
			}
			bal := new(big.Rat).SetInt(o.Balance(n.Signer().Address(), manifest))
			assert.GreaterOrEqual(t, bal.Sign(), 0, "balance of %s covers its fees (%s)", k, fee.FloatString(0))
		}
	}
	assert.Equal(t, paid, charged, "units the client paid = units the orchestrators charged")
	assert.Equal(t, signerUnits, charged, "units the signer paid = units charged")
	assert.Equal(t, signerByManifest, chargedByManifest)
	assert.Equal(t, 0, new(big.Rat).SetInt(n.Signer().Spent()).Cmp(credited), "signer spent %s, orchestrators credited %s", n.Signer().Spent(), credited.FloatString(0))
	assert.Len(t, n.Signer().BatchPayments(), 50, "one payment per call")
}

// TestBadInput: input refused by the runner or the orchestrator comes back
// as ErrBadInput with the orchestrator's text, and nothing is debited;
// input Prepare can check is refused before anything is paid.
func TestBadInput(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx := context.Background()
	ai := n.AI()[0]

	t2i := mustCap(t, "text-to-image/"+livepeertest.AIModelTextToImage)
	call, err := aipipeline.Prepare(ctx, t2i, aipipeline.TextToImageParams{Prompt: ""}, nil)
	require.NoError(t, err)
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, t2i), call, n.payer)
	var e *aipipeline.Error
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, aipipeline.ErrBadInput)
	assert.False(t, e.Retryable())
	assert.Equal(t, 500, e.StatusCode)
	assert.Equal(t, "text-to-image container returned 400: prompt is required", e.Message)
	assert.Empty(t, ai.Charges(), "nothing debited")

	// The orchestrator's own 400: an LLM body without max_tokens.
	llm := mustCap(t, "llm/"+livepeertest.AIModelLLM)
	raw := &aipipeline.Call{Capability: llm, Units: 10, ContentType: "application/json",
		Body: []byte(`{"model":"` + livepeertest.AIModelLLM + `","messages":[{"role":"user","content":"x"}]}`)}
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, llm), raw, n.payer)
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, aipipeline.ErrBadInput)
	assert.Equal(t, 400, e.StatusCode)
	assert.Equal(t, "MaxTokens not specified", e.Message)
	// An undecodable body.
	raw.Body = []byte(`{"model":`)
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, llm), raw, n.payer)
	require.ErrorIs(t, err, aipipeline.ErrBadInput)
	assert.Empty(t, ai.Charges())

	// Refused by Prepare, before any payment.
	before := n.payer.calls
	for _, tc := range []struct {
		cap string
		req aipipeline.Request
	}{
		{"text-to-speech/" + livepeertest.AIModelTextToSpeech, aipipeline.TextToSpeechParams{}},
		{"image-to-image/" + livepeertest.AIModelImageToImage, aipipeline.BodyGenImageToImage{Prompt: "x", Image: aipipeline.NewFile("a.txt", []byte("not an image"))}},
		{"llm/" + livepeertest.AIModelLLM, aipipeline.LLMRequest{MaxTokens: aipipeline.Ptr(0)}},
		{"text-to-image/" + livepeertest.AIModelTextToImage, aipipeline.TextToImageParams{Prompt: "x", Width: aipipeline.Ptr(-1)}},
		{"text-to-image/" + livepeertest.AIModelTextToImage, aipipeline.TextToImageParams{Prompt: "x", ModelId: "other/model"}},
		{"text-to-image/" + livepeertest.AIModelTextToImage, aipipeline.LLMRequest{}},
		{"audio-to-text/" + livepeertest.AIModelAudioToText, aipipeline.BodyGenAudioToText{Audio: aipipeline.NewFile("short.wav", wavOf(0.5))}},
	} {
		_, err := aipipeline.Prepare(ctx, mustCap(t, tc.cap), tc.req, nil)
		var ie *aipipeline.InputError
		require.ErrorAs(t, err, &ie, "%s %#v", tc.cap, tc.req)
		assert.ErrorIs(t, err, aipipeline.ErrBadInput)
	}
	assert.Equal(t, before, n.payer.calls, "nothing paid")
}

// TestRetryableNothingCharged: 503 insufficient capacity, expired ticket
// params and a replayed ticket nonce are retryable, and the orchestrator
// neither credits the tickets nor debits a fee; a retry elsewhere is
// charged once.
func TestRetryableNothingCharged(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 2})
	ctx := context.Background()
	c := mustCap(t, "llm/"+livepeertest.AIModelLLM)
	call, err := aipipeline.Prepare(ctx, c, aipipeline.LLMRequest{Messages: []aipipeline.LLMMessage{{Role: "user", Content: "x"}}, MaxTokens: aipipeline.Ptr(8)}, nil)
	require.NoError(t, err)
	o0, ai0 := n.Orchestrators()[0], n.AI()[0]
	check := func(err error, sentinel error, text string) {
		t.Helper()
		var e *aipipeline.Error
		require.ErrorAs(t, err, &e)
		assert.ErrorIs(t, err, sentinel)
		assert.True(t, e.Retryable(), e.Error())
		assert.False(t, e.Charged())
		assert.Contains(t, e.Message, text)
		assert.Empty(t, ai0.Charges(), "nothing debited")
		assert.Zero(t, o0.TicketsReceived(), "no ticket credited")
	}

	// No capacity: hold every slot.
	var releases []func()
	for {
		rel, ok := ai0.HoldCapacity(c.String())
		if !ok {
			break
		}
		releases = append(releases, rel)
	}
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	check(err, aipipeline.ErrNoCapacity, "insufficient capacity")
	for _, r := range releases {
		r()
	}

	// Ticket params that expire between signing and the orchestrator.
	n.payer.afterPay = func() { n.AdvanceBlocks(50) }
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	check(err, aipipeline.ErrPayment, "TicketParams expired")
	n.payer.afterPay = nil

	// Failover: the other orchestrator answers and charges once.
	res, err := aipipeline.Run(ctx, n.hc, n.target(1, c), call, n.payer)
	require.NoError(t, err)
	assert.Len(t, n.AI()[1].Charges(), 1)
	assert.Equal(t, call.Units, n.AI()[1].Charges()[0].Units)
	assert.NotNil(t, res.LLM)

	// The same payment again: its nonces were seen, nothing more is charged.
	n.payer.replay = true
	_, err = aipipeline.Run(ctx, n.hc, n.target(1, c), call, n.payer)
	var e *aipipeline.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Retryable())
	assert.Contains(t, e.Message, "invalid ticket senderNonce")
	assert.Len(t, n.AI()[1].Charges(), 1, "no second charge")
}

// TestRunnerFailure: a runner's 500 is ErrRunner; the credit stays with the
// orchestrator and no fee is debited.
func TestRunnerFailure(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx := context.Background()
	c := mustCap(t, "image-to-text/"+livepeertest.AIModelImageToText)
	n.AI()[0].FailRunner(c.String(), 1, "CUDA out of memory")
	call, err := aipipeline.Prepare(ctx, c, aipipeline.BodyGenImageToText{Image: aipipeline.NewFile("x.png", pngOf(t, 8, 8, color.White))}, nil)
	require.NoError(t, err)
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	var e *aipipeline.Error
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, aipipeline.ErrRunner)
	assert.False(t, e.Retryable())
	assert.Equal(t, "CUDA out of memory", e.Message)
	assert.Empty(t, n.AI()[0].Charges())
	assert.Equal(t, 1, n.Orchestrators()[0].TicketsReceived(), "the ticket was credited before the runner ran")
}

// TestLLMStreamOnNetwork: the streamed tokens honour max_tokens, the last
// chunk carries finish_reason and usage, and the stream ends there.
func TestLLMStreamOnNetwork(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx := context.Background()
	c := mustCap(t, "llm/"+livepeertest.AIModelLLM)
	call, err := aipipeline.Prepare(ctx, c, aipipeline.LLMRequest{Stream: aipipeline.Ptr(true), MaxTokens: aipipeline.Ptr(6),
		Messages: []aipipeline.LLMMessage{{Role: "user", Content: "tell me"}}}, nil)
	require.NoError(t, err)
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	require.Error(t, err, "Run refuses a streaming call")
	st, err := aipipeline.Stream(ctx, n.hc, n.target(0, c), call, n.payer)
	require.NoError(t, err)
	defer st.Close()
	var text strings.Builder
	chunks := 0
	for ch, err := range st.Chunks() {
		require.NoError(t, err)
		chunks++
		if d := ch.Choices[0].Delta; d != nil {
			text.WriteString(d.Content)
		}
	}
	assert.Equal(t, 7, chunks, "6 tokens and the finishing chunk")
	assert.Equal(t, "Hello from the livepeertest toy model. ", text.String())
	assert.Equal(t, "stop", st.FinishReason())
	u, ok := st.Usage()
	require.True(t, ok)
	assert.Equal(t, 6, u.CompletionTokens)
	_, err = st.Next()
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, int64(6), n.AI()[0].Charges()[0].Units)
}

// TestPayerErrorWrapped: a payer failure comes back wrapped, unchanged for
// errors.As, and nothing reaches the orchestrator.
func TestPayerErrorWrapped(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx := context.Background()
	c := mustCap(t, "text-to-speech/"+livepeertest.AIModelTextToSpeech)
	call, err := aipipeline.Prepare(ctx, c, aipipeline.TextToSpeechParams{Text: aipipeline.Ptr("hi")}, nil)
	require.NoError(t, err)
	n.Signer().SetBalance(big.NewInt(0))
	_, err = aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	var se *signerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, signer.StatusInsufficientBalance, se.status)
	assert.False(t, errors.Is(err, aipipeline.ErrUnavailable))
	assert.Empty(t, n.AI()[0].Charges())
}
