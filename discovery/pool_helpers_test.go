package discovery

import (
	"context"
	"crypto/rand"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// poolOrch is a fake on-chain orchestrator whose answers the test steers:
// price, auth token validity, the L1 block its ticket params are issued
// at, failures, and a gate that holds answers back.
type poolOrch struct {
	*fakeOrch
	price    atomic.Int64
	validity atomic.Int64 // auth token validity, ns
	block    *atomic.Int64
	fail     atomic.Bool

	mu   sync.Mutex
	gate chan struct{} // non-nil: answers wait until it is closed
}

// startPoolOrch starts a poolOrch at price, issuing ticket params at the
// shared block counter.
func startPoolOrch(t *testing.T, price int64, block *atomic.Int64) *poolOrch {
	o := &poolOrch{block: block}
	o.price.Store(price)
	o.validity.Store(int64(30 * time.Minute))
	o.fakeOrch = startOrch(t, func(ctx context.Context, req *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
		o.mu.Lock()
		gate := o.gate
		o.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if o.fail.Load() {
			return nil, errTest
		}
		info := lv2vInfo(o.price.Load(), "noop", "sd")
		info.Transcoder = "https://" + o.addr
		info.CapabilitiesPrices = []*lpnet.PriceInfo{{Capability: uint32(CapBYOC), Constraint: "text-reversal", PricePerUnit: o.price.Load(), PixelsPerUnit: 1}}
		info.AuthToken = &lpnet.AuthToken{Token: []byte("t"), SessionId: "s", Expiration: time.Now().Add(time.Duration(o.validity.Load())).Unix()}
		seed := make([]byte, 32)
		_, _ = rand.Read(seed)
		info.TicketParams = &lpnet.TicketParams{Recipient: make([]byte, 20), FaceValue: big.NewInt(1000).Bytes(),
			WinProb: big.NewInt(1).Bytes(), RecipientRandHash: seed, Seed: seed,
			ExpirationBlock: big.NewInt(o.block.Load() + TicketParamsLifetime).Bytes()}
		return info, nil
	})
	return o
}

// hold makes answers wait until release is called.
func (o *poolOrch) hold() (release func()) {
	g := make(chan struct{})
	o.mu.Lock()
	o.gate = g
	o.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			o.mu.Lock()
			o.gate = nil
			o.mu.Unlock()
			close(g)
		})
	}
}

var (
	noopCap = Capability{ID: CapLiveVideoToVideo, Model: "noop"}
	sdCap   = Capability{ID: CapLiveVideoToVideo, Model: "sd"}
	trCap   = Capability{ID: CapBYOC, Model: "text-reversal"}
)

// newTestPool returns a pool over addrs (list source) with a client whose
// GetOrchestrator timeout is timeout; it is closed at cleanup.
func newTestPool(t *testing.T, addrs []string, timeout time.Duration, opt PoolOptions) *Pool {
	t.Helper()
	c := newTestClient(t, ClientConfig{Timeout: timeout})
	p, err := NewPool(PoolConfig{Source: List(addrs), Client: c, Options: opt})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// waitFor polls cond until it holds, failing t after a generous bound (the
// machine may be loaded: the bound is not a performance claim).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// entryOf returns the pool entry of addr for want.
func entryOf(p *Pool, want *Capability, addr string) (PoolEntry, bool) {
	for _, e := range p.Entries(want) {
		if e.Addr == addr {
			return e, true
		}
	}
	return PoolEntry{}, false
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func addrsOf(infos []*Info) []string {
	out := make([]string, len(infos))
	for i, in := range infos {
		out[i] = in.Addr
	}
	return out
}

type (
	lpnetRequest = lpnet.OrchestratorRequest
	lpnetInfo    = lpnet.OrchestratorInfo
)
