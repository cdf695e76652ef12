package livepeertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math/big"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// aiCapsFor asks for one batch AI model, as go-livepeer's newAICapabilities does.
func aiCapsFor(id uint32, model string) *lpnet.Capabilities {
	return &lpnet.Capabilities{
		Bitstring:  setBit(nil, id),
		Capacities: map[uint32]uint32{id: 1},
		Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{
			id: {Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{model: {}}},
		}},
	}
}

// aiPayment gets fresh info for (id, model) from o and a batch payment of units from the signer.
func aiPayment(t *testing.T, n *Network, o *Orchestrator, c *rawClient, id uint32, model string, units int64) (payResp, *lpnet.OrchestratorInfo) {
	t.Helper()
	addr, sig := c.signOrchInfo(n.SignerURL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	caps := aiCapsFor(id, model)
	info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig, Capabilities: caps})
	require.NoError(t, err)
	ob, _ := proto.Marshal(info)
	cb, _ := proto.Marshal(caps)
	body, _ := json.Marshal(map[string]any{"orchestrator": ob, "ManifestID": "x", "inPixels": units, "capabilities": cb})
	resp, err := c.http.Post(n.SignerURL()+"/generate-live-payment", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw := readAll(t, resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var out payResp
	require.NoError(t, json.Unmarshal(raw, &out))
	return out, info
}

// aiPost posts body to o's route with the payment headers and returns status and body.
func aiPost(t *testing.T, c *rawClient, o *Orchestrator, route, ctype string, body []byte, pay payResp, auth bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, o.URL()+route, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set(lphttp.HeaderPayment, pay.Payment)
	req.Header.Set(lphttp.HeaderSegment, pay.SegCreds)
	if auth {
		req.Header.Set("Authorization", aiWorkerAuthorization)
	}
	resp, err := c.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, string(readAll(t, resp.Body))
}

func multipartImage(t *testing.T, model string, img []byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile("image", "in.png")
	require.NoError(t, err)
	_, _ = w.Write(img)
	require.NoError(t, mw.WriteField("prompt", "p"))
	require.NoError(t, mw.WriteField("model_id", model))
	require.NoError(t, mw.Close())
	return b.Bytes(), mw.FormDataContentType()
}

func tinyPNG(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// TestAICheckOrder walks go-livepeer's handleAIRequest checks in order
// (server/ai_http.go:1380-1736): decode 400 → payment 402 → seg creds 403
// → media 400 → capacity 503 → tickets 400 → balance 400 → runner 500 → 200.
func TestAICheckOrder(t *testing.T) {
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	o, ai, c := n.Orchestrators()[0], n.AI()[0], newRawClient(t)
	const t2i = "text-to-image/" + AIModelTextToImage
	good := []byte(`{"prompt":"a fox","model_id":"` + AIModelTextToImage + `","width":64,"height":32}`)
	pay, _ := aiPayment(t, n, o, c, 27, AIModelTextToImage, 64*32)
	bad := payResp{Payment: "!!!", SegCreds: "!!!"}

	st, body := aiPost(t, c, o, "/text-to-image", "application/json", []byte(`{"prompt":`), bad, true)
	assert.Equal(t, 400, st, "decode first: %s", body)
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, bad, true)
	assert.Equal(t, 402, st, body)
	assert.Contains(t, body, "base64 decode error")
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, payResp{Payment: pay.Payment, SegCreds: "!!!"}, true)
	assert.Equal(t, 403, st, body)
	assert.Equal(t, "ErrorSegEncoding\n", body, "plain text bodies")

	// Media is checked before capacity, capacity before the tickets.
	var releases []func()
	for {
		rel, ok := o.acquireCapacity("image-to-image/" + AIModelImageToImage)
		if !ok {
			break
		}
		releases = append(releases, rel)
	}
	ipay, _ := aiPayment(t, n, o, c, 28, AIModelImageToImage, 4)
	mp, ct := multipartImage(t, AIModelImageToImage, []byte("not an image"))
	st, body = aiPost(t, c, o, "/image-to-image", ct, mp, ipay, true)
	assert.Equal(t, 400, st)
	assert.Equal(t, "image: unknown format\n", body)
	mp, ct = multipartImage(t, AIModelImageToImage, tinyPNG(t, 2, 2))
	st, body = aiPost(t, c, o, "/image-to-image", ct, mp, ipay, true)
	assert.Equal(t, 503, st)
	assert.Equal(t, "insufficient capacity\n", body)
	assert.Zero(t, o.TicketsReceived(), "503 before the tickets are processed")
	for _, r := range releases {
		r()
	}
	// A model the orchestrator does not run: 503 too.
	st, _ = aiPost(t, c, o, "/text-to-image", "application/json", []byte(`{"prompt":"x","model_id":"other/model"}`), pay, true)
	assert.Equal(t, 503, st)

	// Tickets: expired params.
	epay, _ := aiPayment(t, n, o, c, 27, AIModelTextToImage, 64*32)
	n.AdvanceBlocks(50)
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, epay, true)
	assert.Equal(t, 400, st)
	assert.Equal(t, "TicketParams expired\n", body)
	// Balance: a priced payment that carries no ticket.
	npay, _ := aiPayment(t, n, o, c, 27, AIModelTextToImage, 64*32)
	var p lpnet.Payment
	decodeB64Proto(t, npay.Payment, &p)
	p.TicketSenderParams = nil
	pb, _ := proto.Marshal(&p)
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, payResp{Payment: base64.StdEncoding.EncodeToString(pb), SegCreds: npay.SegCreds}, true)
	assert.Equal(t, 400, st)
	assert.Equal(t, "Insufficient balance\n", body)
	// Runner.
	ai.FailRunner(t2i, 1, "boom")
	rpay, _ := aiPayment(t, n, o, c, 27, AIModelTextToImage, 64*32)
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, rpay, true)
	assert.Equal(t, 500, st)
	assert.Equal(t, "boom\n", body)
	assert.Empty(t, ai.Charges(), "no fee before a 200")

	// 200, without the AI-worker header: inline data URL.
	pay, _ = aiPayment(t, n, o, c, 27, AIModelTextToImage, 64*32)
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, pay, false)
	require.Equal(t, 200, st, body)
	assert.Contains(t, body, `"url":"data:image/png;base64,`)
	// With it: a URL on the orchestrator that serves the PNG.
	pay, _ = aiPayment(t, n, o, c, 27, AIModelTextToImage, 64*32)
	st, body = aiPost(t, c, o, "/text-to-image", "application/json", good, pay, true)
	require.Equal(t, 200, st, body)
	var res struct{ Images []struct{ URL string } }
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	require.True(t, strings.HasPrefix(res.Images[0].URL, o.URL()+"/stream/"), res.Images[0].URL)
	resp, err := c.http.Get(res.Images[0].URL)
	require.NoError(t, err)
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 64, 32), img.Bounds())

	ch := ai.Charges()
	require.Len(t, ch, 2)
	price, _ := o.capabilityPrice(t2i)
	for _, x := range ch {
		assert.Equal(t, int64(64*32), x.Units)
		assert.Equal(t, "27_"+AIModelTextToImage, x.ManifestID)
		assert.Equal(t, n.Signer().Address(), x.Sender)
		assert.Zero(t, x.Fee.Cmp(new(big.Rat).Mul(price, big.NewRat(64*32, 1))))
	}
}

// TestAILLMStreamWire: the stream ends with the finish_reason chunk and no [DONE].
func TestAILLMStreamWire(t *testing.T) {
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	o, c := n.Orchestrators()[0], newRawClient(t)
	pay, _ := aiPayment(t, n, o, c, 33, AIModelLLM, 3)
	st, body := aiPost(t, c, o, "/llm", "application/json",
		[]byte(`{"model":"`+AIModelLLM+`","max_tokens":3,"stream":true,"messages":[{"role":"user","content":"hi"}]}`), pay, true)
	require.Equal(t, 200, st, body)
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	require.Len(t, events, 4, body)
	assert.NotContains(t, body, "[DONE]")
	assert.Contains(t, events[0], `"finish_reason":""`)
	assert.Contains(t, events[3], `"finish_reason":"stop"`)
	assert.Contains(t, events[3], `"completion_tokens":3`)
	assert.Equal(t, int64(3), n.AI()[0].Charges()[0].Units)
}

// TestAIOffchain: off-chain, an empty Livepeer-Payment and seg creds with
// the orchestrator's auth token suffice; units are recorded, no fee.
func TestAIOffchain(t *testing.T) {
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1, Offchain: true})
	require.NoError(t, err)
	defer n.Close()
	o, c := n.Orchestrators()[0], newRawClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Capabilities: aiCapsFor(36, AIModelTextToSpeech)})
	require.NoError(t, err)
	sb, _ := proto.Marshal(&lpnet.SegData{ManifestId: []byte("x"), AuthToken: info.AuthToken})
	st, body := aiPost(t, c, o, "/text-to-speech", "application/json", []byte(`{"model_id":"`+AIModelTextToSpeech+`","text":"hey"}`),
		payResp{SegCreds: base64.StdEncoding.EncodeToString(sb)}, true)
	require.Equal(t, 200, st, body)
	assert.Contains(t, body, `.wav"`)
	ch := n.AI()[0].Charges()
	require.Len(t, ch, 1)
	assert.Equal(t, int64(3000), ch[0].Units)
	assert.Zero(t, ch[0].Fee.Sign())
}
