package aipipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// clientOn is a Client paying through n's signer, and the discovery
// client it fetches fresh info with.
func clientOn(t *testing.T, n *aiNet) (*aipipeline.Client, *discovery.Client) {
	t.Helper()
	sc, err := signer.New(signer.Config{URLs: []string{n.SignerURL()}})
	require.NoError(t, err)
	dc, err := discovery.NewClient(discovery.ClientConfig{Signer: sc})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dc.Close(); sc.CloseIdleConnections() })
	cl, err := aipipeline.New(aipipeline.Config{Signer: sc, Orchestrators: dc})
	require.NoError(t, err)
	return cl, dc
}

// inOrder is a selector over n's orchestrators in the given order.
func inOrder(t *testing.T, ctx context.Context, dc *discovery.Client, n *aiNet, c aipipeline.Capability, order ...int) *discovery.Selector {
	t.Helper()
	want := c.Discovery()
	var infos []*discovery.Info
	for _, i := range order {
		in, err := dc.GetOrchestrator(ctx, n.Orchestrators()[i].Addr(), &want)
		require.NoError(t, err)
		infos = append(infos, in)
	}
	return discovery.NewSelector(c.String(), infos, nil)
}

func TestNewClientConfig(t *testing.T) {
	_, err := aipipeline.New(aipipeline.Config{})
	assert.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = aipipeline.New(aipipeline.Config{Signer: signer.Offchain()})
	assert.ErrorIs(t, err, lperr.ErrInvalidConfig)
}

// Client.Run tries the candidates in order: an unreachable one and one
// without capacity are rejected (nothing paid or charged there), each
// attempt pays on info fetched for it, and the answer is charged once.
func TestClientRunFailover(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, dc := clientOn(t, n)
	c := mustCap(t, "image-to-text/"+livepeertest.AIModelImageToText)
	call, err := aipipeline.Prepare(ctx, c, aipipeline.BodyGenImageToText{Image: aipipeline.NewFile("x.png", pngOf(t, 8, 4, colorRed))}, nil)
	require.NoError(t, err)

	sel := inOrder(t, ctx, dc, n, c, 0, 1)
	gone, err := discovery.DecodeInfo("127.0.0.1:1", sel.Candidates()[0].Protobuf())
	require.NoError(t, err)
	sel = discovery.NewSelector(c.String(), append([]*discovery.Info{gone}, sel.Candidates()...), nil)
	var releases []func()
	for {
		rel, ok := n.AI()[0].HoldCapacity(c.String())
		if !ok {
			break
		}
		releases = append(releases, rel)
	}
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	asked := []int{n.Orchestrators()[0].GetOrchestratorCalls(), n.Orchestrators()[1].GetOrchestratorCalls()}

	res, err := cl.Run(ctx, n.hc, sel, call)
	require.NoError(t, err)
	assert.Equal(t, n.Orchestrators()[1].URL(), res.Info.Transcoder)
	assert.Equal(t, "a 8x4 picture, mostly red", res.ImageText.Text)
	rej := sel.Rejections()
	require.Len(t, rej, 2)
	assert.Equal(t, "127.0.0.1:1", rej[0].Orchestrator)
	assert.ErrorIs(t, rej[1].Err, aipipeline.ErrNoCapacity)
	assert.ErrorIs(t, rej[1].Err, lperr.ErrOrchestratorUnavailable)
	assert.Equal(t, asked[0]+1, n.Orchestrators()[0].GetOrchestratorCalls(), "fresh info for the attempt")
	assert.Equal(t, asked[1]+1, n.Orchestrators()[1].GetOrchestratorCalls(), "fresh info for the attempt")
	assert.Empty(t, n.AI()[0].Charges())
	assert.Zero(t, n.Orchestrators()[0].TicketsReceived())
	require.Len(t, n.AI()[1].Charges(), 1)
	assert.Len(t, n.Signer().BatchPayments(), 2, "one payment per attempt that reached an orchestrator")

	// All candidates used: the selector's error lists every rejection.
	_, err = cl.Run(ctx, n.hc, discovery.NewSelector(c.String(), nil, rej), call)
	var no *lperr.NoOrchestratorError
	require.ErrorAs(t, err, &no)
	assert.ErrorIs(t, err, aipipeline.ErrNoCapacity)
}

// Client.Stream returns the first answering candidate's stream; Run and
// Stream refuse the other kind of call.
func TestClientStream(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, dc := clientOn(t, n)
	c := mustCap(t, "llm/"+livepeertest.AIModelLLM)
	call, err := aipipeline.Prepare(ctx, c, aipipeline.LLMRequest{Stream: aipipeline.Ptr(true), MaxTokens: aipipeline.Ptr(2),
		Messages: []aipipeline.LLMMessage{{Role: "user", Content: "x"}}}, nil)
	require.NoError(t, err)
	_, err = cl.Run(ctx, n.hc, inOrder(t, ctx, dc, n, c, 0), call)
	require.Error(t, err)
	st, err := cl.Stream(ctx, n.hc, inOrder(t, ctx, dc, n, c, 0), call)
	require.NoError(t, err)
	defer st.Close()
	var text string
	for {
		ch, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		text += ch.Text()
		assert.JSONEq(t, string(st.Raw()), mustJSON(t, ch))
	}
	assert.Equal(t, "Hello from ", text)
	assert.NotNil(t, st.Info)
	assert.Equal(t, 0, st.Fee.Cmp(n.AI()[0].Charges()[0].Fee))
}

var colorRed = color.RGBA{220, 10, 10, 255}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// failingSigner answers every payment with a go-livepeer signer's 500.
type failingSigner struct{ calls int }

func (*failingSigner) Offchain() bool { return false }
func (f *failingSigner) GenerateLivePayment(context.Context, *signer.PaymentRequest) (*signer.PaymentResponse, error) {
	f.calls++
	api := &lperr.APIError{Op: "generate-live-payment", StatusCode: 500, Message: "Internal Server Error", Kind: lperr.ErrSignerUnavailable}
	return nil, &signer.Error{Op: "generate-live-payment", Kind: lperr.ErrSignerUnavailable, Err: api}
}

// A go-livepeer signer refuses a payment above its -maxTotalEV with a bare
// 500: above go-livepeer's default limit it is a *PaymentLimitError saying
// so; below, the signer's error says what the payment was.
func TestClientSignerTotalEV(t *testing.T) {
	n := newAINet(t, livepeertest.NetworkConfig{Orchestrators: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, dc := clientOn(t, n)
	fs := &failingSigner{}
	cl, err := aipipeline.New(aipipeline.Config{Signer: fs, Orchestrators: dc})
	require.NoError(t, err)
	c := mustCap(t, "text-to-image/"+livepeertest.AIModelTextToImage)

	// 2048×2048 at 2e6 wei: 8.4e12 wei, 9 tickets, under 2e13.
	call, err := aipipeline.Prepare(ctx, c, aipipeline.TextToImageParams{Prompt: "x", Width: aipipeline.Ptr(2048), Height: aipipeline.Ptr(2048)}, nil)
	require.NoError(t, err)
	_, err = cl.Run(ctx, n.hc, inOrder(t, ctx, dc, n, c, 0, 1), call)
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	assert.Contains(t, err.Error(), "the payment was 9 tickets, 9000000000000 wei of EV")
	assert.Contains(t, err.Error(), "-maxTotalEV")
	assert.Equal(t, 1, fs.calls, "not tried elsewhere")

	// 4096×4096: 34 tickets, 3.4e13 wei.
	call, err = aipipeline.Prepare(ctx, c, aipipeline.TextToImageParams{Prompt: "x", Width: aipipeline.Ptr(4096), Height: aipipeline.Ptr(4096)}, nil)
	require.NoError(t, err)
	_, err = cl.Run(ctx, n.hc, inOrder(t, ctx, dc, n, c, 0, 1), call)
	var pl *aipipeline.PaymentLimitError
	require.ErrorAs(t, err, &pl)
	assert.Equal(t, aipipeline.LimitTotalEV, pl.Limit)
	assert.Equal(t, int64(34), pl.Tickets)
	assert.NotErrorIs(t, err, lperr.ErrSignerUnavailable)
	assert.ErrorIs(t, err, lperr.ErrPaymentFailed)
	assert.Equal(t, 2, fs.calls, "not tried elsewhere")
	assert.Empty(t, n.AI()[0].Charges())
}
