package livepeer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func streamEnv(t *testing.T, offchain bool, h http.Handler) *byocEnv {
	return newBYOCEnv(t, byocEnvConfig{offchain: offchain, orchs: 1, price: 1000, workers: map[string]http.Handler{"stream": h}})
}

func TestStreamTokensToDone(t *testing.T) {
	checkNoLeak(t)
	s := &worker.Streamer{}
	e := streamEnv(t, false, s)
	st, err := e.gw.Stream(testCtx(t), "stream", worker.StreamRequest{Text: "a b c", Count: ptr(5), IntervalMS: ptr(2)})
	require.NoError(t, err)
	defer st.Close()
	require.NotNil(t, st.Balance(), "Livepeer-Payment-Balance")
	var got []worker.Token
	for ev, err := range st.Events(context.Background()) {
		require.NoError(t, err)
		var tok worker.Token
		require.NoError(t, ev.JSON(&tok))
		require.Equal(t, fmt.Sprint(tok.Index), ev.ID)
		got = append(got, tok)
	}
	require.Len(t, got, 5, "the orchestrator's balance event and [DONE] are not events")
	require.Equal(t, "c", got[2].Token)
	require.NoError(t, st.Err())
	require.NotNil(t, st.Balance())
	require.Positive(t, st.Balance().Sign(), "final balance from the orchestrator")
	// The worker counts the stream after flushing [DONE], which can be after
	// the client has read it through the orchestrator.
	require.Eventually(t, func() bool { return s.Completed() == 1 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, st.Close())
	require.NoError(t, st.Close(), "Close is idempotent")
}

func TestStreamEarlyBreakClosesConnection(t *testing.T) {
	checkNoLeak(t)
	s := &worker.Streamer{}
	e := streamEnv(t, true, s)
	st, err := e.gw.Stream(testCtx(t), "stream", worker.StreamRequest{Count: ptr(100000), IntervalMS: ptr(5)})
	require.NoError(t, err)
	n := 0
	for _, err := range st.Events(context.Background()) {
		require.NoError(t, err)
		if n++; n == 3 {
			break
		}
	}
	require.Eventually(t, func() bool { return s.Disconnected() == 1 }, 5*time.Second, 5*time.Millisecond,
		"the worker saw the client leave")
	_, err = st.next()
	require.Error(t, err)
}

func TestStreamContextCancelMidStream(t *testing.T) {
	checkNoLeak(t)
	s := &worker.Streamer{}
	e := streamEnv(t, true, s)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	st, err := e.gw.Stream(ctx, "stream", worker.StreamRequest{Count: ptr(100000), IntervalMS: ptr(5)})
	require.NoError(t, err)
	defer st.Close()
	n := 0
	var last error
	for _, err := range st.Events(context.Background()) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 2 {
			cancel()
		}
	}
	require.ErrorIs(t, last, context.Canceled)
	require.Eventually(t, func() bool { return s.Disconnected() == 1 }, 5*time.Second, 5*time.Millisecond)
}

func TestStreamIdleTimeout(t *testing.T) {
	checkNoLeak(t)
	e := streamEnv(t, true, &worker.Streamer{})
	st, err := e.gw.Stream(testCtx(t), "stream", worker.StreamRequest{Count: ptr(10), StallAfter: ptr(2)}, WithIdleTimeout(150*time.Millisecond))
	require.NoError(t, err)
	n := 0
	var last error
	for _, err := range st.Events(context.Background()) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.Equal(t, 2, n)
	require.ErrorIs(t, last, ErrStreamIdle)
	require.ErrorIs(t, st.Err(), ErrStreamIdle)
}

func TestStreamInsufficientBalance(t *testing.T) {
	checkNoLeak(t)
	// 1e10 wei/s: the payment buys about 200 s; the orchestrator debits 5 s every 5 ms.
	s := &worker.Streamer{}
	e := newBYOCEnv(t, byocEnvConfig{orchs: 1, price: 1e10, cfg: livepeertest.BYOCConfig{DebitInterval: 5 * time.Millisecond},
		workers: map[string]http.Handler{"stream": s}})
	st, err := e.gw.Stream(testCtx(t), "stream", worker.StreamRequest{Count: ptr(100000), IntervalMS: ptr(1)})
	require.NoError(t, err)
	n := 0
	var last error
	for _, err := range st.Events(context.Background()) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, ErrInsufficientBalance)
	require.Positive(t, n)
	require.Equal(t, int64(0), st.Balance().Int64())
	require.Equal(t, 1, e.net.Signer().Calls("/generate-live-payment"), "paid once, at the start")
}

// sseHandler answers a fixed event stream.
func sseHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, body)
	})
}

func TestStreamEventTypes(t *testing.T) {
	checkNoLeak(t)
	e := streamEnv(t, true, sseHandler(": keepalive\n\nevent: custom\ndata: one\ndata: two\n\ndata: {\"balance\": 7}\n\ndata: after\n\ndata: [DONE]\n\n"))
	st, err := e.gw.Stream(testCtx(t), "stream", nil)
	require.NoError(t, err)
	var evs []Event
	for ev, err := range st.Events(context.Background()) {
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	require.Equal(t, []Event{{Event: "custom", Data: "one\ntwo"}, {Data: `{"balance": 7}`}, {Data: "after"}}, evs,
		"unknown types pass through; a balance-shaped event not followed by [DONE] is the worker's")
}

func TestStreamErrorEvent(t *testing.T) {
	checkNoLeak(t)
	e := streamEnv(t, true, sseHandler("data: ok\n\nevent: error\ndata: {\"message\":\"gpu on fire\"}\n\ndata: never\n\n"))
	st, err := e.gw.Stream(testCtx(t), "stream", nil)
	require.NoError(t, err)
	var last error
	n := 0
	for _, err := range st.Events(context.Background()) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.Equal(t, 1, n)
	var se *StreamError
	require.ErrorAs(t, last, &se)
	require.ErrorIs(t, last, ErrJobFailed)
	require.Contains(t, se.Event.Data, "gpu on fire")
}

func TestStreamWorkerFailureBeforeEvents(t *testing.T) {
	checkNoLeak(t)
	e := streamEnv(t, true, worker.Fail(http.StatusInternalServerError, "boom"))
	_, err := e.gw.Stream(testCtx(t), "stream", nil)
	var je *JobError
	require.ErrorAs(t, err, &je, "the HTTP error comes from Stream itself")
	require.Equal(t, http.StatusInternalServerError, je.StatusCode)

	e2 := streamEnv(t, true, worker.TextReversal())
	_, err = e2.gw.Stream(testCtx(t), "stream", map[string]string{"text": "x"})
	require.ErrorIs(t, err, ErrUnexpectedResponse)
}

func TestStreamCloseFromAnotherGoroutine(t *testing.T) {
	checkNoLeak(t)
	e := streamEnv(t, true, &worker.Streamer{})
	st, err := e.gw.Stream(testCtx(t), "stream", worker.StreamRequest{Count: ptr(10), StallAfter: ptr(1)})
	require.NoError(t, err)
	_, err = st.next()
	require.NoError(t, err)
	time.AfterFunc(50*time.Millisecond, func() { _ = st.Close() })
	_, err = st.next() // blocked on the stalled worker until Close
	require.ErrorIs(t, err, ErrClosed)
}

func ptr[T any](v T) *T { return &v }

// go-livepeer's relay writes its insufficient-balance lines between the
// worker's, so they can land inside a worker event that has not ended: the
// balance must still be read from the last line of the merged data.
func TestStreamInsufficientBalanceInsideWorkerEvent(t *testing.T) {
	checkNoLeak(t)
	body := "id: 1\ndata: {\"index\":1}\n\nid: 2\ndata: {\"index\":2}\nevent: insufficient balance\ndata: {\"balance\": 0}\n\ndata: [DONE]\n\n"
	e := newBYOCEnv(t, byocEnvConfig{orchs: 1, price: 1000, workers: map[string]http.Handler{"stream": sseHandler(body)}})
	st, err := e.gw.Stream(testCtx(t), "stream", map[string]string{})
	require.NoError(t, err)
	defer st.Close()
	require.Positive(t, st.Balance().Sign(), "the header's balance before the stop")
	var last error
	for _, err := range st.Events(context.Background()) {
		if err != nil {
			last = err
			break
		}
	}
	require.ErrorIs(t, last, ErrInsufficientBalance)
	require.Equal(t, int64(0), st.Balance().Int64())
}
