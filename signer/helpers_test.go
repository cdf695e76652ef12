package signer

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
)

// recorded is one request seen by a fake signer.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeSigner is an httptest signer whose answers are scripted per request.
type fakeSigner struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	hits   atomic.Int32
	handle func(n int, w http.ResponseWriter, r *http.Request, body []byte)
}

func newFakeSigner(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request, body []byte)) *fakeSigner {
	t.Helper()
	f := &fakeSigner{handle: h}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := int(f.hits.Add(1))
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		f.handle(n, w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSigner) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// jsonError answers like go-livepeer's respondJsonError.
func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg}})
}

// fastClient builds a Client with tiny backoff for tests.
func fastClient(t *testing.T, urls []string, tweak ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{URLs: urls, MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, Timeout: 2 * time.Second}
	for _, f := range tweak {
		f(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func testInfo() *discovery.Info {
	info, err := orchinfo.FromProto("127.0.0.1:8935", testInfoProto())
	if err != nil {
		panic(err)
	}
	return info
}

func testInfoProto() *lpnet.OrchestratorInfo {
	return &lpnet.OrchestratorInfo{
		Transcoder:   "https://127.0.0.1:8935",
		Address:      []byte{0xaa, 0xbb},
		PriceInfo:    &lpnet.PriceInfo{PricePerUnit: 10, PixelsPerUnit: 1},
		TicketParams: &lpnet.TicketParams{Recipient: []byte{1}, FaceValue: []byte{2}},
		AuthToken:    &lpnet.AuthToken{Token: []byte("tok"), SessionId: "sess-1", Expiration: 4102444800},
	}
}

const goodPaymentBody = `{"payment":"cGF5","segCreds":"c2Vn","state":{"State":"eyJhIjoxfQ==","Sig":"c2ln"}}`
