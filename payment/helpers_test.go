package payment

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// signerReq is a decoded /generate-live-payment request.
type signerReq struct {
	Raw        []byte
	Keys       map[string]json.RawMessage
	Info       *lpnet.OrchestratorInfo
	State      json.RawMessage
	ManifestID string
	Type       string
	InPixels   int64
}

// fakeSigner answers /generate-live-payment with a script; by default it
// returns state {"State":"<n>","Sig":"s"} and checks nothing.
type fakeSigner struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []signerReq
	hits  atomic.Int32
	reply func(n int, r signerReq, w http.ResponseWriter)
}

func newFakeSigner(t *testing.T, reply func(n int, r signerReq, w http.ResponseWriter)) *fakeSigner {
	t.Helper()
	f := &fakeSigner{reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/generate-live-payment" {
			t.Errorf("unexpected signer path %s", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		sr := signerReq{Raw: body}
		if err := json.Unmarshal(body, &sr.Keys); err != nil {
			t.Errorf("signer got bad JSON: %v", err)
		}
		var s string
		if v, ok := sr.Keys["orchestrator"]; ok && json.Unmarshal(v, &s) == nil {
			b, _ := base64.StdEncoding.DecodeString(s)
			sr.Info = &lpnet.OrchestratorInfo{}
			if err := proto.Unmarshal(b, sr.Info); err != nil {
				t.Errorf("bad orchestrator info: %v", err)
			}
		}
		sr.State = sr.Keys["state"]
		_ = json.Unmarshal(sr.Keys["ManifestID"], &sr.ManifestID)
		_ = json.Unmarshal(sr.Keys["type"], &sr.Type)
		_ = json.Unmarshal(sr.Keys["inPixels"], &sr.InPixels)
		n := int(f.hits.Add(1))
		f.mu.Lock()
		f.reqs = append(f.reqs, sr)
		f.mu.Unlock()
		if f.reply != nil {
			f.reply(n, sr, w)
			return
		}
		okPayment(n, w)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSigner) requests() []signerReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signerReq(nil), f.reqs...)
}

func (f *fakeSigner) client(t *testing.T) *signer.Client {
	t.Helper()
	c, err := signer.New(signer.Config{URLs: []string{f.srv.URL}, MaxRetries: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// okPayment answers with a state that has odd spacing (to check it comes back verbatim).
func okPayment(n int, w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"payment":%q,"segCreds":"c2Vn","state":{"State": "%d",  "Sig":"s"}}`, payFor(n), n)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg}})
}

// orchInfo builds an on-chain orchestrator info for transcoder.
func orchInfo(transcoder string, seed byte, exp time.Time) *lpnet.OrchestratorInfo {
	return &lpnet.OrchestratorInfo{
		Transcoder:   transcoder,
		Address:      []byte{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
		PriceInfo:    &lpnet.PriceInfo{PricePerUnit: 100, PixelsPerUnit: 1},
		TicketParams: &lpnet.TicketParams{Recipient: []byte{1}, Seed: []byte{seed}, RecipientRandHash: []byte{seed, seed}},
		AuthToken:    &lpnet.AuthToken{Token: []byte{seed}, SessionId: fmt.Sprintf("sess-%d", seed), Expiration: exp.Unix()},
	}
}

func info(transcoder string, seed byte) *discovery.Info {
	return mkInfo(transcoder, orchInfo(transcoder, seed, time.Now().Add(AuthTokenLifetime)))
}

// refresher returns a RefreshFunc that hands out infos with seeds 100, 101, ...
func refresher(transcoder string, calls *atomic.Int32) RefreshFunc {
	return func(ctx context.Context) (*discovery.Info, error) {
		n := calls.Add(1)
		return info(transcoder, byte(99+n)), nil
	}
}

// leakCheck fails the test if goroutines started during it are still running.
func leakCheck(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutine leak: before %d, after %d\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// payFor is the fake signer's payment value for its n-th answer.
func payFor(n int) string { return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("pay-%d", n))) }

// mkInfo decodes pb as discovery does (panics on a message that does not encode).
func mkInfo(addr string, pb *lpnet.OrchestratorInfo) *discovery.Info {
	in, err := orchinfo.FromProto(addr, pb)
	if err != nil {
		panic(err)
	}
	return in
}

// protoOf is info's protobuf form.
func protoOf(info *discovery.Info) *lpnet.OrchestratorInfo {
	pb, err := orchinfo.Proto(info)
	if err != nil {
		panic(err)
	}
	return pb
}

var noopCap = discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}
