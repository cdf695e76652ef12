package discovery

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func TestParseAddress(t *testing.T) {
	good := map[string]string{
		"127.0.0.1:8935":             "127.0.0.1:8935",
		" orch.example.com:8935 ":    "orch.example.com:8935",
		"https://orch.example:8935":  "orch.example:8935",
		"HTTPS://orch.example:8935/": "orch.example:8935",
		"https://orch.example":       "orch.example:443",
		"[::1]:8935":                 "[::1]:8935",
		"https://[::1]:9":            "[::1]:9",
	}
	for in, want := range good {
		got, err := ParseAddress(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "  ", "orch.example", "http://orch:8935", "grpc://orch:1", "https://orch:8935/path",
		"https://orch:8935?x=1", "https://orch:8935#f", "https://u:p@orch:1", "orch:0", "orch:65536", "orch:http",
		":8935", "https://:8935", "https://orch:", "a b:1", "orch:1/x", "https://orch:99999"} {
		_, err := ParseAddress(in)
		require.Error(t, err, "%q", in)
		require.ErrorIs(t, err, ErrInvalidAddress, in)
		var ae *AddressError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, in, ae.Addr)
	}
}

func TestGetOrchestratorOffchain(t *testing.T) {
	checkNoLeak(t)
	info := lv2vInfo(0, "streamdiffusion")
	info.PriceInfo = nil
	o := staticOrch(t, info)
	c := newTestClient(t, ClientConfig{})

	want := Capability{CapLiveVideoToVideo, "streamdiffusion"}
	got, err := c.GetOrchestrator(context.Background(), o.addr, &want)
	require.NoError(t, err)
	require.Equal(t, o.addr, got.Addr)
	require.Equal(t, "https://"+o.addr, got.Transcoder)
	require.True(t, got.HasCapability(want))
	require.Equal(t, &want, got.Requested)
	require.Positive(t, got.Latency)
	require.False(t, got.FetchedAt.IsZero())

	req := o.last()
	require.True(t, req.IgnoreCapacityCheck)
	require.Empty(t, req.Address)
	require.Empty(t, req.Sig)
	require.Equal(t, []uint64{1 << 35}, req.Capabilities.Bitstring)
	require.Contains(t, req.Capabilities.Constraints.PerCapability[35].Models, "streamdiffusion")

	// BYOC: no capabilities in the request; https:// form accepted.
	byoc := Capability{CapBYOC, "text-reversal"}
	_, err = c.GetOrchestrator(context.Background(), "https://"+o.addr, &byoc)
	require.NoError(t, err)
	require.Nil(t, o.last().Capabilities)

	// One HTTP/2 connection per target, reused.
	require.Equal(t, int32(1), o.conns.Load())

	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.GetOrchestrator(context.Background(), o.addr, nil)
	require.ErrorIs(t, err, lperr.ErrClosed)
	_, _, err = c.Query(context.Background(), []string{o.addr}, nil)
	require.ErrorIs(t, err, lperr.ErrClosed)
}

// fakeSigner serves /sign-orchestrator-info with a real key, as go-livepeer's
// remote signer does: sig = personal_sign(keccak256(checksummed address)).
func fakeSigner(t *testing.T) (*httptest.Server, eth.Address) {
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	addr := eth.KeyAddress(key)
	sig, err := ethsig.SignText(key, ethsig.Keccak256([]byte(addr.Hex())))
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sign-orchestrator-info" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"address": addr.Hex(), "signature": "0x" + hex.EncodeToString(sig)})
	}))
	t.Cleanup(srv.Close)
	return srv, addr
}

// httpSigner is a minimal RequestSigner: POST {url}/sign-orchestrator-info
// (signer.Client is the real one; discovery cannot import it).
type httpSigner struct{ url string }

func (h httpSigner) SignOrchestratorInfo(ctx context.Context) (*RequestSignature, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"/sign-orchestrator-info", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", lperr.ErrSignerUnavailable, err)
	}
	defer resp.Body.Close()
	var out struct{ Address, Signature string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	addr, err := eth.ParseAddress(out.Address)
	if err != nil {
		return nil, err
	}
	sig, err := hex.DecodeString(strings.TrimPrefix(out.Signature, "0x"))
	return &RequestSignature{Address: addr, Signature: sig}, err
}

// verifyOrchReq checks the request signature as go-livepeer's orchestrator does.
func verifyOrchReq(req *lpnet.OrchestratorRequest) bool {
	addr := eth.BytesToAddress(req.Address)
	return ethsig.VerifyText(addr, ethsig.Keccak256([]byte(addr.Hex())), req.Sig) == nil
}

func TestGetOrchestratorSigned(t *testing.T) {
	checkNoLeak(t)
	srv, payer := fakeSigner(t)
	o := startOrch(t, func(_ context.Context, req *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
		if !verifyOrchReq(req) {
			return nil, connect.NewError(connect.CodeUnknown, errors.New("Invalid orchestrator request: invalid signature"))
		}
		return &lpnet.OrchestratorInfo{Transcoder: "https://orch", Address: eth.BytesToAddress([]byte{1}).Bytes()}, nil
	})
	c := newTestClient(t, ClientConfig{Signer: httpSigner{url: srv.URL}})
	info, err := c.GetOrchestrator(context.Background(), o.addr, nil)
	require.NoError(t, err)
	require.Equal(t, "https://orch", info.Transcoder)
	require.Equal(t, payer.Bytes(), o.last().Address)
	require.Nil(t, info.Requested)

	// Unsigned requests are refused by this orchestrator: typed RPC error.
	c2 := newTestClient(t, ClientConfig{})
	_, err = c2.GetOrchestrator(context.Background(), o.addr, nil)
	var re *RPCError
	require.ErrorAs(t, err, &re)
	require.Equal(t, connect.CodeUnknown, re.Code)
	require.Contains(t, re.Message, "invalid signature")
	require.ErrorIs(t, err, lperr.ErrOrchestratorUnavailable)
}

func TestGetOrchestratorSignerDown(t *testing.T) {
	c := newTestClient(t, ClientConfig{Signer: httpSigner{url: "http://" + deadAddr(t)}})
	o := staticOrch(t, nil)
	_, err := c.GetOrchestrator(context.Background(), o.addr, nil)
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	_, _, err = c.Query(context.Background(), []string{o.addr}, nil)
	require.ErrorIs(t, err, lperr.ErrSignerUnavailable)
	require.Zero(t, o.calls.Load())
}

func TestGetOrchestratorErrors(t *testing.T) {
	checkNoLeak(t)
	c := newTestClient(t, ClientConfig{Timeout: 300 * time.Millisecond})
	ctx := context.Background()

	_, err := c.GetOrchestrator(ctx, "http://x:1", nil)
	require.ErrorIs(t, err, ErrInvalidAddress)

	_, err = c.GetOrchestrator(ctx, deadAddr(t), nil)
	var re *RPCError
	require.ErrorAs(t, err, &re)
	require.Equal(t, connect.CodeUnavailable, re.Code)

	bh := blackhole(t)
	start := time.Now()
	_, err = c.GetOrchestrator(ctx, bh, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, connect.CodeDeadlineExceeded, re.Code)
	require.Less(t, time.Since(start), 2*time.Second)

	// The caller's cancellation is reported as such.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.GetOrchestrator(cctx, bh, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	failing := startOrch(t, func(context.Context, *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
		return nil, errTest
	})
	_, err = c.GetOrchestrator(ctx, failing.addr, nil)
	require.ErrorAs(t, err, &re)
	require.Contains(t, re.Message, "test failure")

	_, err = NewClient(ClientConfig{Timeout: -1})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
}

func TestQueryConcurrentWithBlackholes(t *testing.T) {
	checkNoLeak(t)
	const timeout = 400 * time.Millisecond
	c := newTestClient(t, ClientConfig{Timeout: timeout})
	var addrs []string
	for i := 0; i < 6; i++ {
		addrs = append(addrs, staticOrch(t, lv2vInfo(int64(10-i), "m")).addr)
	}
	addrs = append(addrs, blackhole(t), blackhole(t), deadAddr(t), "bad address", addrs[0])

	start := time.Now()
	infos, rej, err := c.Query(context.Background(), addrs, &Capability{CapLiveVideoToVideo, "m"})
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Len(t, infos, 6)
	require.Len(t, rej, 4)
	for i, in := range infos {
		require.Equal(t, addrs[i], in.Addr, "input order kept")
	}
	require.Equal(t, addrs[6], rej[0].Orchestrator)
	require.ErrorIs(t, rej[0].Err, lperr.ErrOrchestratorUnavailable)
	require.ErrorIs(t, rej[3].Err, ErrInvalidAddress)
	// All answers gathered within the timeout plus scheduling slack.
	require.Less(t, elapsed, timeout+time.Second)
	require.GreaterOrEqual(t, elapsed, timeout-50*time.Millisecond)

	// Without black holes it returns as soon as everyone answered.
	start = time.Now()
	infos, _, err = c.Query(context.Background(), addrs[:6], nil)
	require.NoError(t, err)
	require.Len(t, infos, 6)
	require.Less(t, time.Since(start), timeout)

	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = c.Query(cctx, addrs, nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestQueryCallerCancel(t *testing.T) {
	checkNoLeak(t)
	c := newTestClient(t, ClientConfig{Timeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.Query(ctx, []string{blackhole(t), blackhole(t)}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
	require.False(t, errors.Is(err, lperr.ErrOrchestratorUnavailable))
}
