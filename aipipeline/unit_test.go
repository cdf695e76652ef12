package aipipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCapability(t *testing.T) {
	c, err := ParseCapability("text-to-image/stabilityai/sd-turbo")
	require.NoError(t, err)
	assert.Equal(t, Capability{TextToImage, "stabilityai/sd-turbo"}, c)
	assert.Equal(t, "27_stabilityai/sd-turbo", c.ManifestID())
	assert.Equal(t, "/text-to-image", c.Pipeline.Path())
	for p, id := range map[Pipeline]uint32{ImageToImage: 28, ImageToVideo: 29, Upscale: 30, AudioToText: 31, SegmentAnything2: 32, LLM: 33, ImageToText: 34, TextToSpeech: 36} {
		assert.Equal(t, id, p.CapabilityID())
		back, ok := PipelineForID(id)
		assert.True(t, ok)
		assert.Equal(t, p, back)
	}
	for _, bad := range []string{"", "llm", "llm/", "live-video-to-video/noop", "byoc/x", "nope/x", "llm/a b", "llm/a\nb"} {
		_, err := ParseCapability(bad)
		assert.ErrorIs(t, err, ErrInvalidCapability, bad)
	}
	assert.True(t, IsPipelineCapability("llm"))
	assert.True(t, IsPipelineCapability("upscale/m"))
	assert.False(t, IsPipelineCapability("byoc/x"))
	assert.False(t, IsPipelineCapability("live-video-to-video/noop"))
}

// TestClassify covers the orchestrator's answers (go-livepeer server/ai_http.go).
func TestClassify(t *testing.T) {
	c := Capability{LLM, "m"}
	for _, tc := range []struct {
		status int
		body   string
		want   []error
		retry  bool
	}{
		{400, "unexpected EOF\n", []error{ErrBadInput}, false},
		{400, "image: unknown format", []error{ErrBadInput}, false},
		{400, "MaxTokens not specified", []error{ErrBadInput}, false},
		{400, "Unable to calculate duration", []error{ErrBadInput}, false},
		{402, "base64 decode error: illegal base64 data at input byte 0", []error{ErrPayment}, false},
		{403, "invalid auth token", []error{ErrPayment}, false},
		{400, "TicketParams expired", []error{ErrPayment, ErrRetryable}, true},
		{400, "invalid ticket senderNonce: already seen sender=0x1 nonce=1", []error{ErrPayment, ErrRetryable}, true},
		{400, "invalid ticket signature", []error{ErrPayment}, false},
		{400, "Insufficient balance", []error{ErrPayment}, false},
		{400, "orchestrator 0x1 is inactive in round 5, cannot process payments", []error{ErrPayment}, false},
		{503, "insufficient capacity\n", []error{ErrNoCapacity, ErrRetryable}, true},
		{500, "text-to-image container returned 400: prompt is required", []error{ErrBadInput}, false},
		{500, "LLM container returned 422: {...}", []error{ErrBadInput}, false},
		{500, "CUDA out of memory", []error{ErrRunner}, false},
		{500, "Could not create storage to receive results", []error{ErrRunner}, false},
		{404, "404 page not found", []error{ErrUnavailable}, false},
		{503, "Service Unavailable", []error{ErrUnavailable}, false},
	} {
		e := classify("https://o", c, tc.status, []byte(tc.body))
		for _, w := range tc.want {
			assert.ErrorIs(t, e, w, "%d %q", tc.status, tc.body)
		}
		assert.Equal(t, tc.retry, e.Retryable(), "%d %q", tc.status, tc.body)
		assert.False(t, e.Charged())
		assert.Equal(t, strings.TrimSpace(tc.body), e.Message)
		n := 0
		for _, s := range []error{ErrBadInput, ErrPayment, ErrNoCapacity, ErrRunner, ErrUnavailable, ErrBadResponse} {
			if errors.Is(e, s) {
				n++
			}
		}
		assert.Equal(t, 1, n, "exactly one class for %d %q", tc.status, tc.body)
	}
}

func TestPrepareUnits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cap   string
		req   Request
		units int64
	}{
		{"text-to-image/m", TextToImageParams{Prompt: "p"}, 512 * 512},
		{"text-to-image/m", &TextToImageParams{Prompt: "p", Width: Ptr(1024), Height: Ptr(768), NumImagesPerPrompt: Ptr(0)}, 1024 * 768},
		{"text-to-image/m", TextToImageParams{Prompt: "p", NumImagesPerPrompt: Ptr(3)}, 512 * 512 * 3},
		{"image-to-video/m", BodyGenImageToVideo{Image: NewFile("a.gif", gif1x1)}, 576 * 1024 * 25},
		{"image-to-image/m", BodyGenImageToImage{Image: NewFile("a.gif", gif1x1), NumImagesPerPrompt: Ptr(4)}, 4},
		{"llm/m", LLMRequest{}, 256},
		{"llm/m", LLMRequest{MaxTokens: Ptr(9)}, 9},
		{"text-to-speech/m", TextToSpeechParams{Text: Ptr("日本語!")}, 4000},
		{"audio-to-text/m", BodyGenAudioToText{Audio: NewFile("a", []byte{1})}, 3000},
	} {
		call, err := Prepare(ctx, mustParse(t, tc.cap), tc.req, &PrepareOptions{
			AudioDuration: func(context.Context, []byte) (time.Duration, error) { return 3999 * time.Millisecond, nil },
		})
		require.NoError(t, err, tc.cap)
		assert.Equal(t, tc.units, call.Units, "%s %#v", tc.cap, tc.req)
	}
	// The model comes from the capability.
	call, err := Prepare(ctx, mustParse(t, "llm/org/model"), LLMRequest{}, nil)
	require.NoError(t, err)
	assert.Contains(t, string(call.Body), `"model":"org/model"`)
	assert.Contains(t, string(call.Body), `"max_tokens":256`)
	assert.Contains(t, string(call.Body), `"messages":[]`)
	// Overflowing units are refused.
	_, err = Prepare(ctx, mustParse(t, "text-to-image/m"), TextToImageParams{Width: Ptr(1 << 31), Height: Ptr(1 << 31), NumImagesPerPrompt: Ptr(1 << 20)}, nil)
	assert.ErrorIs(t, err, ErrBadInput)
}

// a 1×1 GIF
var gif1x1 = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func mustParse(t *testing.T, s string) Capability {
	t.Helper()
	c, err := ParseCapability(s)
	require.NoError(t, err)
	return c
}

func TestDecodeDataURL(t *testing.T) {
	mt, b, err := decodeDataURL("data:image/png;base64,aGVsbG8=")
	require.NoError(t, err)
	assert.Equal(t, "image/png", mt)
	assert.Equal(t, "hello", string(b))
	_, b, err = decodeDataURL("data:,a%20b")
	require.NoError(t, err)
	assert.Equal(t, "a b", string(b))
	for _, bad := range []string{"http://x", "data:image/png;base64", "data:;base64,!!!"} {
		_, _, err := decodeDataURL(bad)
		assert.Error(t, err, bad)
	}
}

// sseServer answers a streaming LLM call with body, then waits for the
// client to go away when hold is set (an orchestrator that keeps the
// connection open after the last chunk).
func sseServer(t *testing.T, body string, hold bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, body)
		w.(http.Flusher).Flush()
		if hold {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func chunk(content, finish string) string {
	return fmt.Sprintf(`data: {"id":"x","model":"m","created":1,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"choices":[{"index":0,"finish_reason":%q,"delta":{"role":"assistant","content":%q}}]}`+"\n\n", finish, content)
}

var freePayer = PayerFunc(func(context.Context, string, Capability, int64) (Payment, error) { return Payment{}, nil })

func streamFrom(t *testing.T, srv *httptest.Server) (*LLMStream, error) {
	call, err := Prepare(context.Background(), mustParse(t, "llm/m"), LLMRequest{Stream: Ptr(true)}, nil)
	require.NoError(t, err)
	return Stream(context.Background(), srv.Client(), Target{URL: srv.URL}, call, freePayer)
}

func collect(st *LLMStream) (string, error) {
	var b strings.Builder
	for ch, err := range st.Chunks() {
		if err != nil {
			return b.String(), err
		}
		b.WriteString(ch.Choices[0].Delta.Content)
	}
	return b.String(), nil
}

// TestLLMStreamEndsOnFinishReason: the stream ends after the chunk with a
// finish_reason although the server sends no [DONE] and keeps the
// connection open.
func TestLLMStreamEndsOnFinishReason(t *testing.T) {
	srv := sseServer(t, chunk("a", "")+chunk("b", "")+chunk("", "stop"), true)
	st, err := streamFrom(t, srv)
	require.NoError(t, err)
	done := make(chan struct{})
	var text string
	go func() {
		defer close(done)
		text, err = collect(st)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("stream did not end on finish_reason")
	}
	require.NoError(t, err)
	assert.Equal(t, "ab", text)
	assert.Equal(t, "stop", st.FinishReason())
	u, _ := st.Usage()
	assert.Equal(t, 3, u.TotalTokens)
}

func TestLLMStreamTruncatedAndErrors(t *testing.T) {
	// Ends before the finishing chunk: not reported as complete.
	st, err := streamFrom(t, sseServer(t, chunk("a", "")+chunk("b", ""), false))
	require.NoError(t, err)
	text, err := collect(st)
	assert.Equal(t, "ab", text)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, ErrBadResponse)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.True(t, e.Charged())
	assert.Empty(t, st.FinishReason())
	// [DONE] also ends it cleanly.
	st, err = streamFrom(t, sseServer(t, chunk("a", "")+"data: [DONE]\n\n", true))
	require.NoError(t, err)
	text, err = collect(st)
	require.NoError(t, err)
	assert.Equal(t, "a", text)
	// An error event and a malformed chunk are errors.
	for _, body := range []string{`data: {"error": "boom"}` + "\n\n", "data: {not json\n\n"} {
		st, err = streamFrom(t, sseServer(t, chunk("a", "")+body, true))
		require.NoError(t, err)
		_, err = collect(st)
		assert.ErrorIs(t, err, ErrBadResponse, body)
	}
}

func TestLLMStreamCancel(t *testing.T) {
	srv := sseServer(t, chunk("a", ""), true)
	call, err := Prepare(context.Background(), mustParse(t, "llm/m"), LLMRequest{Stream: Ptr(true)}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := Stream(ctx, srv.Client(), Target{URL: srv.URL}, call, freePayer)
	require.NoError(t, err)
	_, err = st.Next()
	require.NoError(t, err)
	cancel()
	_, err = st.Next()
	assert.ErrorIs(t, err, context.Canceled)
	require.NoError(t, st.Close())
	require.NoError(t, st.Close())
}

// TestRunBadAnswer: a 200 that does not decode is ErrBadResponse (charged).
func TestRunBadAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, AIWorkerAuthorization, r.Header.Get("Authorization"))
		assert.Equal(t, "pay", r.Header.Get(PaymentHeader))
		assert.Equal(t, "seg", r.Header.Get(SegmentHeader))
		_, _ = io.WriteString(w, `{"images":[]}`)
	}))
	defer srv.Close()
	call, err := Prepare(context.Background(), mustParse(t, "text-to-image/m"), TextToImageParams{Prompt: "x"}, nil)
	require.NoError(t, err)
	payer := PayerFunc(func(_ context.Context, orch string, c Capability, units int64) (Payment, error) {
		assert.Equal(t, srv.URL, orch)
		assert.Equal(t, int64(512*512), units)
		return Payment{Payment: "pay", Segment: "seg"}, nil
	})
	_, err = Run(context.Background(), srv.Client(), Target{URL: srv.URL}, call, payer)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.True(t, e.Charged())
	assert.ErrorIs(t, err, ErrBadResponse)
	// Unreachable orchestrator.
	srv.Close()
	_, err = Run(context.Background(), http.DefaultClient, Target{URL: srv.URL}, call, payer)
	assert.ErrorIs(t, err, ErrUnavailable)
}
