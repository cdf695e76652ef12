package livepeer

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// aiEnv is an in-process network (every orchestrator serves the built-in
// AI pipelines) and a Gateway on it whose signer calls go through a tap.
type aiEnv struct {
	net *livepeertest.Network
	tap *signerTap // nil off-chain
	gw  *Gateway
}

type aiEnvConfig struct {
	net livepeertest.NetworkConfig
	// list: the Gateway gets the orchestrators as a list (discovery then
	// rejects, with a reason, those that do not list the model) instead
	// of the network's discovery endpoint, which filters them out.
	list bool
	cfg  Config // base Gateway config (MaxPrice...)
}

func newAIEnv(t *testing.T, c aiEnvConfig) *aiEnv {
	t.Helper()
	n, err := livepeertest.NewNetwork(c.net)
	require.NoError(t, err)
	t.Cleanup(n.Close)
	e := &aiEnv{net: n}
	cfg := c.cfg
	if n.SignerURL() != "" {
		e.tap = newSignerTap(t, n.SignerURL())
		cfg.SignerURL = e.tap.url()
	}
	if c.list {
		cfg.Orchestrators = n.OrchestratorAddrs()
	} else {
		cfg.DiscoveryURL = n.DiscoveryURL()
	}
	e.gw, err = NewGateway(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.gw.Close() })
	return e
}

// orch returns the index of the orchestrator whose service URI is url.
func (e *aiEnv) orch(t *testing.T, url string) int {
	for i, o := range e.net.Orchestrators() {
		if o.URL() == url {
			return i
		}
	}
	t.Fatalf("no orchestrator at %s", url)
	return -1
}

// charges returns every orchestrator's charges, all together.
func (e *aiEnv) charges() []livepeertest.AICharge {
	var out []livepeertest.AICharge
	for _, a := range e.net.AI() {
		out = append(out, a.Charges()...)
	}
	return out
}

// signerTap forwards every call to the in-process signer and lets a test
// see, and change, each /generate-live-payment answer before the SDK gets
// it: fault injection between the payment and the orchestrator.
type signerTap struct {
	srv      *httptest.Server
	upstream string
	hc       *http.Client

	mu    sync.Mutex
	pays  int
	onPay func(n int, info *discovery.Info, answer []byte) []byte // n counts from 1
}

func newSignerTap(t *testing.T, upstream string) *signerTap {
	tp := &signerTap{upstream: upstream, hc: &http.Client{Timeout: time.Minute}}
	tp.srv = httptest.NewServer(http.HandlerFunc(tp.serve))
	t.Cleanup(func() { tp.srv.Close(); tp.hc.CloseIdleConnections() })
	return tp
}

func (tp *signerTap) url() string { return tp.srv.URL }

// setOnPay installs the hook; it runs after the signer answered 200.
func (tp *signerTap) setOnPay(f func(n int, info *discovery.Info, answer []byte) []byte) {
	tp.mu.Lock()
	tp.onPay = f
	tp.mu.Unlock()
}

func (tp *signerTap) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, tp.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := tp.hc.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if r.URL.Path == "/generate-live-payment" && resp.StatusCode == http.StatusOK {
		tp.mu.Lock()
		tp.pays++
		n, hook := tp.pays, tp.onPay
		tp.mu.Unlock()
		if hook != nil {
			var in struct {
				Orchestrator []byte `json:"orchestrator"` // base64 in JSON
			}
			_ = json.Unmarshal(body, &in)
			info, err := discovery.DecodeInfo("", in.Orchestrator)
			if err == nil {
				out = hook(n, info, out)
			}
		}
	}
	for k, vs := range resp.Header {
		if k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

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

func hasFFmpeg() bool {
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			return false
		}
	}
	return true
}

// pipelineCall is one request of a pipeline through the verbs, with the
// units the orchestrator charges for it and a check of its answer.
type pipelineCall struct {
	capability string
	input      any
	units      int64
	ffmpeg     bool // needs ffmpeg/ffprobe
	check      func(t *testing.T, ctx context.Context, res *PipelineResult)
}

func pipelineCalls(t *testing.T) []pipelineCall {
	red := pngOf(t, 64, 48, color.RGBA{220, 10, 10, 255})
	img := func(t *testing.T, ctx context.Context, m Media) image.Image {
		t.Helper()
		b, err := m.Bytes(ctx)
		require.NoError(t, err)
		im, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		return im
	}
	return []pipelineCall{
		{"text-to-image/" + livepeertest.AIModelTextToImage,
			TextToImage{Prompt: "a red fox", Width: Ptr(320), Height: Ptr(200), NumImagesPerPrompt: Ptr(2)}, 320 * 200 * 2, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.Len(t, res.Images, 2)
				require.Equal(t, image.Rect(0, 0, 320, 200), img(t, ctx, res.Images[1]).Bounds())
			}},
		{"image-to-image/" + livepeertest.AIModelImageToImage,
			ImageToImage{Prompt: "invert", Image: File{Name: "red.png", Data: red}}, 64 * 48, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.Equal(t, image.Rect(0, 0, 64, 48), img(t, ctx, res.Images[0]).Bounds())
			}},
		{"image-to-video/" + livepeertest.AIModelImageToVideo,
			ImageToVideo{Image: File{Name: "red.png", Data: red}, Width: Ptr(128), Height: Ptr(96)}, 128 * 96 * 25, true,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				b, err := res.Images[0].Bytes(ctx)
				require.NoError(t, err)
				require.Contains(t, string(b[:64]), "ftyp", "an MP4")
			}},
		{"upscale/" + livepeertest.AIModelUpscale,
			Upscale{Prompt: "sharp", Image: File{Name: "red.png", Data: red}}, 64 * 48, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.Equal(t, image.Rect(0, 0, 128, 96), img(t, ctx, res.Images[0]).Bounds())
			}},
		{"audio-to-text/" + livepeertest.AIModelAudioToText,
			AudioToText{Audio: File{Name: "tone.wav", Data: wavOf(7.5)}}, 7 * 1000, true,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.NotNil(t, res.Text)
				require.Len(t, res.Text.Chunks, 2)
			}},
		{"segment-anything-2/" + livepeertest.AIModelSegmentAnything2,
			SegmentAnything2{Image: File{Name: "red.png", Data: red}, PointCoords: Ptr("[[10,10]]"), MultimaskOutput: Ptr(false)}, 64 * 48, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.NotNil(t, res.Masks)
				require.Equal(t, "[0.95]", res.Masks.Scores)
			}},
		{"llm/" + livepeertest.AIModelLLM,
			LLMRequest{Messages: []LLMMessage{{Role: "user", Content: "hi there"}}, MaxTokens: Ptr(5)}, 5, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.Equal(t, "Hello from the livepeertest toy ", res.LLM.Text())
			}},
		{"image-to-text/" + livepeertest.AIModelImageToText,
			ImageToText{Image: File{Name: "red.png", Data: red}}, 64 * 48, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				require.Equal(t, "a 64x48 picture, mostly red", res.ImageText.Text)
			}},
		{"text-to-speech/" + livepeertest.AIModelTextToSpeech,
			TextToSpeech{Text: Ptr("héllo")}, 5 * 1000, false,
			func(t *testing.T, ctx context.Context, res *PipelineResult) {
				b, err := res.Audio.Bytes(ctx)
				require.NoError(t, err)
				require.Equal(t, "RIFF", string(b[:4]))
			}},
	}
}

// ticketEV is the default orchestrator's ticket EV.
func ticketEV() *big.Rat { return new(big.Rat).SetInt(livepeertest.DefaultTicketEV) }
