package livepeer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRunTextReversalOffchain(t *testing.T) {
	checkNoLeak(t)
	rec := worker.Record(worker.TextReversal())
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, workers: map[string]http.Handler{"text-reversal": rec}})
	res, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "hello"}, WithPath("reverse-text"), WithRequestID("job-1"))
	require.NoError(t, err)
	out, err := DecodeJSON[worker.ReversalResponse](res)
	require.NoError(t, err)
	require.Equal(t, worker.ReversalResponse{Original: "hello", Reversed: "olleh"}, out)
	require.Equal(t, "application/json", res.ContentType)
	require.Equal(t, "job-1", res.JobID)
	require.Equal(t, int64(0), res.Balance.Int64(), "off-chain balances are 0")
	require.Equal(t, 1, e.jobs())
	require.Equal(t, "/reverse-text", rec.Requests()[0].Path, "the sub-path reaches the worker")

	var v map[string]string
	require.NoError(t, res.JSON(&v))
	require.Error(t, res.JSON(&[]int{}))
}

func TestRunOnchainPaysOnceAndSignsWithSigner(t *testing.T) {
	checkNoLeak(t)
	const price = 1000 // wei per second
	e := newBYOCEnv(t, byocEnvConfig{price: price, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	ctx := testCtx(t)
	for i, text := range []string{"abc", "livepeer"} {
		res, err := e.gw.Run(ctx, "byoc/text-reversal", map[string]string{"text": text})
		require.NoError(t, err, "job %d", i)
		out, err := DecodeJSON[worker.ReversalResponse](res)
		require.NoError(t, err)
		require.Equal(t, worker.Reverse(text), out.Reversed)
		require.NotNil(t, res.Balance)
		// At least 120 s were bought (tickets come in EV-sized units) and the
		// orchestrator charged ceil(elapsed) ≥ 1 s: the rest covers the next job.
		require.GreaterOrEqual(t, res.Balance.Int64(), int64(60*price))
		require.NotZero(t, new(big.Int).Rem(res.Balance, livepeertest.DefaultTicketEV).Sign(), "the job was charged (tickets credit whole EVs)")
	}
	// Both jobs ran on orchestrators chosen by rank: at most one payment per orchestrator,
	// and exactly one per job that found a short balance.
	pays := e.net.Signer().Calls("/generate-live-payment")
	require.GreaterOrEqual(t, pays, 1)
	require.LessOrEqual(t, pays, 2)
	require.Equal(t, 2, e.net.Signer().Calls("/sign-byoc-job"))
	require.Equal(t, 2, e.jobs())
}

func TestRunPricedJobWithForeignKeyIsRefusedBeforeSending(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{price: 1000, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	_, err = e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "x"}, WithSigningKey(key))
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrPaymentFailed)
	require.Equal(t, 0, e.jobs())
}

func TestRunFreeCapabilityWithOwnKeyOnchain(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{price: 0, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	res, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ab"}, WithSigningKey(key))
	require.NoError(t, err, "the on-chain orchestrator verified the local key's V0 signature")
	require.Contains(t, string(res.Body), `"reversed":"ba"`)
	require.Equal(t, 0, e.net.Signer().Calls("/generate-live-payment"))
}

func TestRunFailsOverOnlyBeforeAcceptance(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, orchs: 3, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	orchs := e.net.Orchestrators()
	// o0 has no worker (its token says no capacity), o1 answers 503 to the job,
	// o2 is slow to answer GetOrchestrator, so it ranks last.
	require.True(t, e.servers[0].Unregister("text-reversal"))
	orchs[1].FailHTTP("/process/request/", 1, http.StatusServiceUnavailable)
	orchs[2].SetLatency(150 * time.Millisecond)
	res, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "ok"})
	require.NoError(t, err)
	require.Equal(t, orchs[2].URL(), res.Orchestrator)
	require.Equal(t, 1, e.jobs(), "the job ran once")
}

func TestRunWorkerFailureIsJobError(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, workers: map[string]http.Handler{"text-reversal": worker.Fail(http.StatusUnprocessableEntity, "model exploded")}})
	_, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "x"})
	var je *JobError
	require.ErrorAs(t, err, &je)
	require.ErrorIs(t, err, ErrJobFailed)
	require.Equal(t, http.StatusUnprocessableEntity, je.StatusCode)
	require.Contains(t, je.Message, "model exploded")
	require.NotNil(t, je.Balance)
	require.Equal(t, 1, e.jobs(), "a failed job is not retried elsewhere")
	var api *APIError
	require.False(t, errors.As(err, &api), "a worker failure is not an orchestrator API error")
}

func TestRunOutOfCredit(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{price: 1000, budget: big.NewInt(1), workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	_, err := e.gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "x"})
	require.ErrorIs(t, err, ErrInsufficientBalance)
	require.Equal(t, 0, e.jobs())
}

func TestRunOnStreamingWorker(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, workers: map[string]http.Handler{"stream": &worker.Streamer{Count: 2}}})
	_, err := e.gw.Run(testCtx(t), "stream", nil)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
}

func TestRunBadInput(t *testing.T) {
	e := newBYOCEnv(t, byocEnvConfig{offchain: true, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	_, err := e.gw.Run(testCtx(t), "", nil)
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = e.gw.Run(testCtx(t), "text-reversal", func() {})
	require.Error(t, err)
	_, err = e.gw.Run(testCtx(t), "no-such-capability", nil)
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.NoError(t, e.gw.Close())
	_, err = e.gw.Run(testCtx(t), "text-reversal", nil)
	require.ErrorIs(t, err, ErrClosed)
}

// Config.SigningKey is the Gateway-wide default: no per-call option, no
// /sign-byoc-job round trip, and the orchestrator verifies that key's V0
// signature. A per-call key still overrides it.
func TestRunSignsWithConfigSigningKey(t *testing.T) {
	checkNoLeak(t)
	e := newBYOCEnv(t, byocEnvConfig{price: 0, workers: map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	gw, err := NewGateway(Config{Token: e.net.Token(), SigningKey: key})
	require.NoError(t, err)
	defer gw.Close()
	res, err := gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "abc"})
	require.NoError(t, err)
	require.Contains(t, string(res.Body), `"reversed":"cba"`)
	require.Equal(t, 0, e.net.Signer().Calls("/sign-byoc-job"), "the Gateway key signed, not the remote signer")

	other, err := eth.GenerateKey()
	require.NoError(t, err)
	_, err = gw.Run(testCtx(t), "text-reversal", map[string]string{"text": "x"}, WithSigningKey(other))
	require.NoError(t, err)
	require.Equal(t, 0, e.net.Signer().Calls("/sign-byoc-job"))
}

func TestConfigSigningKeyMustBeSecp256k1(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, err = NewGateway(Config{Orchestrators: []string{"127.0.0.1:8935"}, SigningKey: p256})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "SigningKey", ce.Field)
	require.ErrorIs(t, err, ErrInvalidConfig)
}
