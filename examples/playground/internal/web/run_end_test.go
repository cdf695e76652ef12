package web

import (
	"context"
	"errors"
	"io"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store/storetest"
)

// endedLive is a LiveRun the orchestrator ended, with err.
type endedLive struct{ err error }

func (l endedLive) NextSegment(context.Context) (io.WriteCloser, error)       { return nil, l.err }
func (l endedLive) Subscribe(context.Context) iter.Seq2[io.ReadCloser, error] { return nil }
func (l endedLive) Control(context.Context, any) error                        { return l.err }
func (l endedLive) Done() <-chan struct{}                                     { c := make(chan struct{}); close(c); return c }
func (l endedLive) Err() error                                                { return l.err }
func (l endedLive) Close() error                                              { return nil }

// TestStreamEndedByOrchestratorOutOfCredit: a session the orchestrator
// ended without a reason of its own (as it does when the payer's credit
// runs out after the signer stopped selling tickets) shows out-of-credit
// when the budget is spent, and "the model stopped" otherwise.
func TestStreamEndedByOrchestratorOutOfCredit(t *testing.T) {
	st := storetest.Open(t, storetest.Backends(t)[0])
	s, err := New(context.Background(), Config{Store: st, BaseURL: "http://127.0.0.1:1", Secret: make([]byte, 32), UpstreamSigner: "http://127.0.0.1:1", BcryptCost: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ended := errors.New("livepeer: session ended by the orchestrator")
	for _, tc := range []struct {
		capWei int64
		want   ErrorKind
	}{{0, OutOfCredit}, {1_000_000, PipelineError}} {
		u, err := st.CreateUser(context.Background(), "u"+itoa(tc.capWei)+"@example.com", "h", "free", tc.capWei)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		rn := &run{id: "r" + itoa(tc.capWei), userID: u.ID, s: s, ctx: ctx, cancel: cancel, liveUp: make(chan struct{}), started: time.Now()}
		s.mu.Lock()
		s.runs[rn.id] = rn
		s.mu.Unlock()
		rn.wg.Add(1)
		go rn.watch(endedLive{err: ended})
		require.Eventually(t, func() bool { e, ok := rn.endedState(); return ok && e.Kind != "" }, 10*time.Second, 10*time.Millisecond)
		e, _ := rn.endedState()
		require.Equal(t, tc.want, e.Kind, "cap %d", tc.capWei)
		require.Contains(t, e.Raw, "ended by the orchestrator", "the raw reason is kept")
	}
}
