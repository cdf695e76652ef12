package livepeer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/color"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func pipelineCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Every pipeline through Run: the answer is typed, and the units the
// signer paid (inPixels) are the units the orchestrator charged, at its
// price for (capability, model).
func TestRunEveryPipeline(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	for _, pc := range pipelineCalls(t) {
		t.Run(pc.capability, func(t *testing.T) {
			if pc.ffmpeg && !hasFFmpeg() {
				t.Skip("ffmpeg/ffprobe not installed")
			}
			before := len(e.charges())
			res, err := e.gw.Run(ctx, pc.capability, pc.input)
			require.NoError(t, err)
			p := res.Pipeline()
			require.NotNil(t, p)
			assert.Equal(t, pc.capability, p.Capability.String())
			assert.Equal(t, pc.units, p.Units)
			assert.Equal(t, "application/json", res.ContentType)
			assert.JSONEq(t, string(p.Body), string(res.Body))

			require.Len(t, e.charges(), before+1, "charged once")
			i := e.orch(t, p.Info.Transcoder)
			charges := e.net.AI()[i].Charges()
			ch := charges[len(charges)-1]
			assert.Equal(t, pc.capability, ch.Capability)
			assert.Equal(t, pc.units, ch.Units, "units charged = units paid")
			assert.Equal(t, 0, ch.Fee.Cmp(p.Fee), "fee debited %s = units × price %s", ch.Fee, p.Fee)
			assert.Equal(t, p.Info.Addr, res.Orchestrator)
			assert.Contains(t, res.Orchestrator, e.net.Orchestrators()[i].Addr())
			price, _ := e.net.AI()[i].Price(pc.capability)
			assert.Equal(t, 0, new(big.Rat).Mul(price, big.NewRat(pc.units, 1)).Cmp(p.Fee))
			pays := e.net.Signer().BatchPayments()
			last := pays[len(pays)-1]
			assert.Equal(t, pc.units, last.Units, "the signer paid inPixels = units")
			assert.Equal(t, p.Capability.ManifestID(), last.ManifestID)
			t.Logf("%-60s %10d units %16s wei, %d tickets (%s wei of EV)", pc.capability, p.Units, p.Fee.FloatString(0), last.Tickets, last.EV.FloatString(0))
			pc.check(t, ctx, p)
		})
	}
}

// 50 mixed calls through Run and Stream: the signer's ledger (units paid,
// EV of the tickets it signed) and the orchestrators' (units charged,
// tickets credited) agree, and every balance covers its fees.
func TestPipelineLedgersAgree(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	var calls []pipelineCall
	for _, pc := range pipelineCalls(t) {
		if !pc.ffmpeg || hasFFmpeg() {
			calls = append(calls, pc)
		}
	}
	var paid int64
	for i := range 50 {
		pc := calls[i%len(calls)]
		if strings.HasPrefix(pc.capability, "image-to-video/") && i >= len(calls) {
			pc = calls[0] // ffmpeg once is enough
		}
		if req, ok := pc.input.(LLMRequest); ok && i%2 == 1 {
			st, err := e.gw.Stream(ctx, pc.capability, req)
			require.NoError(t, err)
			for _, err := range st.LLMChunks(ctx) {
				require.NoError(t, err)
			}
			paid += st.Pipeline().Units
			continue
		}
		res, err := e.gw.Run(ctx, pc.capability, pc.input)
		require.NoError(t, err, pc.capability)
		paid += res.Pipeline().Units
	}
	var signerUnits int64
	signerByManifest := map[string]int64{}
	for _, p := range e.net.Signer().BatchPayments() {
		signerUnits += p.Units
		signerByManifest[p.ManifestID] += p.Units
	}
	var charged int64
	chargedByManifest := map[string]int64{}
	credited := new(big.Rat)
	for i, o := range e.net.Orchestrators() {
		credited.Add(credited, new(big.Rat).Mul(ticketEV(), big.NewRat(int64(o.TicketsReceived()), 1)))
		fees := map[string]*big.Rat{}
		for _, ch := range e.net.AI()[i].Charges() {
			charged += ch.Units
			chargedByManifest[ch.ManifestID] += ch.Units
			if fees[ch.ManifestID] == nil {
				fees[ch.ManifestID] = new(big.Rat)
			}
			fees[ch.ManifestID].Add(fees[ch.ManifestID], ch.Fee)
		}
		for m := range fees {
			assert.GreaterOrEqual(t, o.Balance(e.net.Signer().Address(), m).Sign(), 0, "balance of %s covers its fees", m)
		}
	}
	assert.Equal(t, paid, charged, "units the client paid = units the orchestrators charged")
	assert.Equal(t, signerUnits, charged, "units the signer paid = units charged")
	assert.Equal(t, signerByManifest, chargedByManifest)
	assert.Equal(t, 0, new(big.Rat).SetInt(e.net.Signer().Spent()).Cmp(credited),
		"signer spent %s, orchestrators credited %s", e.net.Signer().Spent(), credited.FloatString(0))
	assert.Len(t, e.net.Signer().BatchPayments(), 50, "one payment per call")
}

// The first orchestrator tried answers 503 (no capacity, checked before
// the payment): the call moves on and is charged once, by the next.
func TestPipelineFailoverPast503(t *testing.T) {
	checkNoLeak(t)
	for _, injected := range []bool{false, true} {
		t.Run(map[bool]string{false: "insufficient capacity", true: "any 503"}[injected], func(t *testing.T) {
			e := newAIEnv(t, aiEnvConfig{})
			ctx := pipelineCtx(t)
			capability := "llm/" + livepeertest.AIModelLLM
			first := -1
			var releases []func()
			e.tap.setOnPay(func(n int, info *discovery.Info, answer []byte) []byte {
				if n == 1 {
					first = e.orch(t, info.Transcoder)
					if injected {
						e.net.Orchestrators()[first].FailHTTP("/llm", 1, 503)
						return answer
					}
					for {
						rel, ok := e.net.AI()[first].HoldCapacity(capability)
						if !ok {
							break
						}
						releases = append(releases, rel)
					}
				}
				return answer
			})
			defer func() {
				for _, r := range releases {
					r()
				}
			}()
			res, err := e.gw.Run(ctx, capability, LLMRequest{Messages: []LLMMessage{{Role: "user", Content: "x"}}, MaxTokens: Ptr(8)})
			require.NoError(t, err)
			require.NotEqual(t, -1, first)
			served := e.orch(t, res.Pipeline().Info.Transcoder)
			assert.NotEqual(t, first, served, "failed over")
			assert.Empty(t, e.net.AI()[first].Charges(), "nothing debited by the 503")
			assert.Zero(t, e.net.Orchestrators()[first].TicketsReceived(), "no ticket credited by the 503")
			assert.Len(t, e.charges(), 1, "charged once")
			assert.Len(t, e.net.Signer().BatchPayments(), 2, "one payment per attempt")
		})
	}
}

// Ticket params that expire between the payment and the orchestrator:
// go-livepeer's gateway retries "ticketparams expired" on the same
// orchestrator, here with fresh info; after MaxTriesPerOrchestrator the
// call moves on. Only the answer's payment is credited and charged.
func TestPipelineExpiredTicketParams(t *testing.T) {
	checkNoLeak(t)
	for _, expire := range []int{1, 3} {
		t.Run(map[int]string{1: "retried on the same orchestrator", 3: "then the next"}[expire], func(t *testing.T) {
			e := newAIEnv(t, aiEnvConfig{})
			ctx := pipelineCtx(t)
			var tried []int
			e.tap.setOnPay(func(n int, info *discovery.Info, answer []byte) []byte {
				tried = append(tried, e.orch(t, info.Transcoder))
				if n <= expire {
					e.net.AdvanceBlocks(50)
				}
				return answer
			})
			res, err := e.gw.Run(ctx, "text-to-image/"+livepeertest.AIModelTextToImage, TextToImage{Prompt: "x", Width: Ptr(64), Height: Ptr(64)})
			require.NoError(t, err)
			require.Len(t, tried, expire+1, "a payment per attempt, each on fresh info")
			served := e.orch(t, res.Pipeline().Info.Transcoder)
			assert.Equal(t, tried[expire], served)
			if expire == 1 {
				assert.Equal(t, tried[0], served, "the same orchestrator, again")
			} else {
				assert.Equal(t, []int{tried[0], tried[0], tried[0]}, tried[:3])
				assert.NotEqual(t, tried[0], served)
				assert.Zero(t, e.net.Orchestrators()[tried[0]].TicketsReceived(), "expired tickets are not credited")
			}
			assert.Len(t, e.charges(), 1, "charged once")
			pays := e.net.Signer().BatchPayments()
			last := pays[len(pays)-1]
			got := 0
			for _, o := range e.net.Orchestrators() {
				got += o.TicketsReceived()
			}
			assert.Equal(t, last.Tickets, got, "only the answer's tickets were credited")
		})
	}
}

// A payment the orchestrator refuses before crediting it (402: not a
// payment; 403: bad segment credentials) moves on; once every orchestrator
// refused, the error lists them and matches ErrPaymentFailed.
func TestPipelinePaymentRefused(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	rewrite := func(field string, value []byte) func([]byte) []byte {
		return func(answer []byte) []byte {
			var m map[string]any
			require.NoError(t, json.Unmarshal(answer, &m))
			m[field] = base64.StdEncoding.EncodeToString(value)
			b, _ := json.Marshal(m)
			return b
		}
	}
	bad402, bad403 := rewrite("payment", []byte{0xff, 0xff}), rewrite("segCreds", []byte{0xff, 0xff})
	e.tap.setOnPay(func(n int, _ *discovery.Info, answer []byte) []byte {
		switch n {
		case 1:
			return bad402(answer)
		case 2:
			return bad403(answer)
		}
		return answer
	})
	req := TextToSpeech{Text: Ptr("hi")}
	res, err := e.gw.Run(ctx, "text-to-speech/"+livepeertest.AIModelTextToSpeech, req)
	require.NoError(t, err, "the third orchestrator took a good payment")
	assert.Len(t, e.charges(), 1)
	assert.Equal(t, int64(2000), res.Pipeline().Units)

	e.tap.setOnPay(func(_ int, _ *discovery.Info, answer []byte) []byte { return bad403(answer) })
	_, err = e.gw.Run(ctx, "text-to-speech/"+livepeertest.AIModelTextToSpeech, req)
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrPaymentFailed)
	var pe *PipelineError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 403, pe.StatusCode)
	var no *NoOrchestratorError
	require.ErrorAs(t, err, &no)
	assert.Len(t, no.Rejections, 3)
	assert.Len(t, e.charges(), 1, "nothing more charged")
}

// Bad input: refused before any payment when the SDK can tell; otherwise
// the orchestrator's (or its runner's) text, as ErrBadInput, from the
// first orchestrator, with no failover and nothing debited.
func TestPipelineBadInput(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)

	_, err := e.gw.Run(ctx, "text-to-image/"+livepeertest.AIModelTextToImage, TextToImage{Prompt: ""})
	require.ErrorIs(t, err, ErrBadInput)
	var pe *PipelineError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "text-to-image container returned 400: prompt is required", pe.Message)
	assert.False(t, pe.Retryable())
	assert.False(t, errors.Is(err, ErrNoOrchestrator), "not failed over")
	assert.Len(t, e.net.Signer().BatchPayments(), 1, "one orchestrator tried")
	assert.Empty(t, e.charges())

	getOrch := func() (n int) {
		for _, o := range e.net.Orchestrators() {
			n += o.GetOrchestratorCalls()
		}
		return n
	}
	asked := getOrch()
	for _, tc := range []struct {
		capability string
		input      any
	}{
		{"text-to-speech/" + livepeertest.AIModelTextToSpeech, TextToSpeech{}},
		{"image-to-image/" + livepeertest.AIModelImageToImage, ImageToImage{Prompt: "x", Image: File{Data: []byte("not an image")}}},
		{"llm/" + livepeertest.AIModelLLM, LLMRequest{MaxTokens: Ptr(0)}},
		{"text-to-image/" + livepeertest.AIModelTextToImage, LLMRequest{}},
		{"text-to-image/" + livepeertest.AIModelTextToImage, map[string]string{"prompt": "x"}},
		{"text-to-image/" + livepeertest.AIModelTextToImage, TextToImage{Prompt: "x", ModelId: "another/model"}},
	} {
		_, err := e.gw.Run(ctx, tc.capability, tc.input)
		var ie *InputError
		require.ErrorAs(t, err, &ie, "%s %T", tc.capability, tc.input)
		assert.ErrorIs(t, err, ErrBadInput)
	}
	assert.Len(t, e.net.Signer().BatchPayments(), 1, "nothing more paid")
	assert.Equal(t, asked, getOrch(), "no orchestrator asked for refused input")
}

// A runner failure (500) after the payment was credited ends the call:
// trying elsewhere would pay a second time.
func TestPipelineRunnerFailureNotRetried(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	capability := "image-to-text/" + livepeertest.AIModelImageToText
	for _, a := range e.net.AI() {
		a.FailRunner(capability, 1, "CUDA out of memory")
	}
	_, err := e.gw.Run(pipelineCtx(t), capability, ImageToText{Image: File{Data: pngOf(t, 8, 8, color.White)}})
	require.ErrorIs(t, err, ErrJobFailed)
	var pe *PipelineError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "CUDA out of memory", pe.Message)
	assert.Len(t, e.net.Signer().BatchPayments(), 1, "paid once, not failed over")
}

// An LLM stream through Stream: typed chunks whose delta text honours
// max_tokens, ending cleanly after the chunk with a finish_reason (the
// orchestrator sends no [DONE]).
func TestStreamLLMEndsOnFinishReason(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	capability := "llm/" + livepeertest.AIModelLLM
	req := LLMRequest{Messages: []LLMMessage{{Role: "user", Content: "tell me"}}, MaxTokens: Ptr(6)}

	st, err := e.gw.Stream(ctx, capability, req)
	require.NoError(t, err)
	var text strings.Builder
	n := 0
	for ch, err := range st.LLMChunks(ctx) {
		require.NoError(t, err)
		n++
		text.WriteString(ch.Text())
	}
	assert.Equal(t, 7, n, "6 tokens and the finishing chunk")
	assert.Equal(t, "Hello from the livepeertest toy model. ", text.String())
	assert.NoError(t, st.Err())
	p := st.Pipeline()
	assert.Equal(t, "stop", p.FinishReason())
	u, ok := p.Usage()
	require.True(t, ok)
	assert.Equal(t, 6, u.CompletionTokens)
	assert.Equal(t, int64(6), p.Units)
	assert.Equal(t, p.Info.Addr, st.Orchestrator())
	assert.Contains(t, st.Orchestrator(), e.net.Orchestrators()[e.orch(t, p.Info.Transcoder)].Addr())
	charges := e.charges()
	require.Len(t, charges, 1)
	assert.Equal(t, int64(6), charges[0].Units)
	assert.Equal(t, 0, charges[0].Fee.Cmp(p.Fee))

	// Events: one event per chunk, the chunk's JSON as data.
	st, err = e.gw.Stream(ctx, capability, &req)
	require.NoError(t, err)
	var last Event
	for ev, err := range st.Events(ctx) {
		require.NoError(t, err)
		last = ev
	}
	var ch LLMChunk
	require.NoError(t, json.Unmarshal([]byte(last.Data), &ch))
	require.NotNil(t, ch.Choices[0].FinishReason)
	assert.Equal(t, "stop", *ch.Choices[0].FinishReason)
	assert.Nil(t, st.Balance())
	assert.Empty(t, st.Header())

	// Run refuses a streaming request; Stream refuses a pipeline that does
	// not stream and a BYOC stream has no LLM chunks.
	_, err = e.gw.Run(ctx, capability, LLMRequest{Stream: Ptr(true), MaxTokens: Ptr(3)})
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	_, err = e.gw.Stream(ctx, "text-to-image/"+livepeertest.AIModelTextToImage, TextToImage{Prompt: "x"})
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Len(t, e.charges(), 2, "nothing more charged")
}

// An LLM stream closed midway ends with ErrClosed, not as finished: the
// chunks that did not arrive are not reported.
func TestStreamLLMClosedMidway(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	ctx := pipelineCtx(t)
	st, err := e.gw.Stream(ctx, "llm/"+livepeertest.AIModelLLM, LLMRequest{Messages: []LLMMessage{{Role: "user", Content: "go on"}}, MaxTokens: Ptr(50)})
	require.NoError(t, err)
	n := 0
	var got error
	for _, err := range st.LLMChunks(ctx) {
		if err != nil {
			got = err
			break
		}
		if n++; n == 2 {
			require.NoError(t, st.Close())
		}
	}
	assert.Equal(t, 2, n)
	require.ErrorIs(t, got, ErrClosed)
	assert.ErrorIs(t, st.Err(), ErrClosed)
	assert.Empty(t, st.Pipeline().FinishReason())
}

// A model no orchestrator lists: ErrNoOrchestrator, with every
// orchestrator's reason when they were asked.
func TestRunPipelineUnknownModel(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{list: true})
	_, err := e.gw.Run(pipelineCtx(t), "text-to-image/nobody/serves-this", TextToImage{Prompt: "x"})
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrCapabilityNotOffered)
	var no *NoOrchestratorError
	require.ErrorAs(t, err, &no)
	assert.Len(t, no.Rejections, 3)
	assert.Equal(t, "text-to-image/nobody/serves-this", no.Capability)
	assert.Empty(t, e.net.Signer().BatchPayments())

	_, err = e.gw.Run(pipelineCtx(t), "text-to-image/", TextToImage{Prompt: "x"})
	require.ErrorIs(t, err, ErrInvalidCapability, "a pipeline needs a model")
	// A bare name is a BYOC capability, as before pipelines were served.
	_, err = e.gw.Run(pipelineCtx(t), "text-to-image", map[string]string{"prompt": "x"})
	require.ErrorIs(t, err, ErrNoOrchestrator)
	var no2 *NoOrchestratorError
	require.ErrorAs(t, err, &no2)
	assert.Equal(t, "byoc/text-to-image", no2.Capability)

	// Through the discovery endpoint, which filters by model.
	e = newAIEnv(t, aiEnvConfig{})
	_, err = e.gw.Run(pipelineCtx(t), "text-to-image/nobody/serves-this", TextToImage{Prompt: "x"})
	require.ErrorIs(t, err, ErrNoOrchestrator)
}

// Off-chain: no signer, seg creds with the orchestrator's auth token and
// no tickets; the orchestrator records the units at no fee.
func TestRunPipelineOffchain(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{net: livepeertest.NetworkConfig{Offchain: true}})
	require.True(t, e.gw.Signer().Offchain())
	res, err := e.gw.Run(pipelineCtx(t), "text-to-speech/"+livepeertest.AIModelTextToSpeech, TextToSpeech{Text: Ptr("hey")})
	require.NoError(t, err)
	assert.Nil(t, res.Pipeline().Fee, "no price quoted")
	ch := e.charges()
	require.Len(t, ch, 1)
	assert.Equal(t, int64(3000), ch[0].Units)
	assert.Zero(t, ch[0].Fee.Sign())
}

// Price ceilings: the Gateway's (MaxPrice) drops orchestrators before
// anything is paid; the signer's (481) moves on and says so.
func TestRunPipelinePriceCeilings(t *testing.T) {
	checkNoLeak(t)
	capability := "text-to-speech/" + livepeertest.AIModelTextToSpeech
	e := newAIEnv(t, aiEnvConfig{cfg: Config{MaxPrice: big.NewRat(1, 1)}})
	_, err := e.gw.Run(pipelineCtx(t), capability, TextToSpeech{Text: Ptr("hey")})
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrPriceExceeded)
	assert.Empty(t, e.net.Signer().BatchPayments())

	e = newAIEnv(t, aiEnvConfig{net: livepeertest.NetworkConfig{SignerMaxPricePerUnit: big.NewRat(1, 1)}})
	_, err = e.gw.Run(pipelineCtx(t), capability, TextToSpeech{Text: Ptr("hey")})
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrPriceExceeded)
	var se *SignerError
	require.ErrorAs(t, err, &se)
	var no *NoOrchestratorError
	require.ErrorAs(t, err, &no)
	assert.Len(t, no.Rejections, 3, "each orchestrator's price refused by the signer")
	assert.Empty(t, e.charges())
}

// Payment limits of the remote signer: more than 100 tickets is refused
// before the signer is asked (another orchestrator's tickets might be
// worth more); more than the signer's -maxTotalEV ends the call at once.
// Both say what the request costs.
func TestRunPipelinePaymentLimits(t *testing.T) {
	checkNoLeak(t)
	e := newAIEnv(t, aiEnvConfig{})
	capability := "text-to-image/" + livepeertest.AIModelTextToImage

	// 8192×8192 at 2e6 wei per pixel: 1.3e14 wei, 135 tickets of 1e12.
	_, err := e.gw.Run(pipelineCtx(t), capability, TextToImage{Prompt: "x", Width: Ptr(8192), Height: Ptr(8192)})
	require.ErrorIs(t, err, ErrNoOrchestrator)
	require.ErrorIs(t, err, ErrPaymentFailed)
	var pl *PaymentLimitError
	require.ErrorAs(t, err, &pl)
	assert.Equal(t, int64(135), pl.Tickets)
	assert.Contains(t, pl.Error(), "100 tickets per payment")
	assert.Zero(t, e.net.Signer().Calls("/generate-live-payment"), "the signer was not asked")

	// 4096×4096: 34 tickets, over the signer's default 20 tickets' worth.
	_, err = e.gw.Run(pipelineCtx(t), capability, TextToImage{Prompt: "x", Width: Ptr(4096), Height: Ptr(4096)})
	require.ErrorAs(t, err, &pl)
	require.ErrorIs(t, err, ErrPaymentFailed)
	assert.False(t, errors.Is(err, ErrNoOrchestrator), "not tried elsewhere")
	assert.Equal(t, aipipeline.LimitTotalEV, pl.Limit)
	assert.Contains(t, pl.Error(), "-maxTotalEV")
	assert.Equal(t, 1, e.net.Signer().Calls("/generate-live-payment"))
	assert.Empty(t, e.charges())
}

// Options that do not apply to the pipelines are refused.
func TestPipelineOptions(t *testing.T) {
	e := newAIEnv(t, aiEnvConfig{})
	_, err := e.gw.Run(pipelineCtx(t), "text-to-speech/"+livepeertest.AIModelTextToSpeech, TextToSpeech{Text: Ptr("x")}, WithPath("x"))
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "WithPath", ce.Field)
	_, err = e.gw.Stream(pipelineCtx(t), "llm/"+livepeertest.AIModelLLM, LLMRequest{}, WithMaxEventBytes(10))
	require.ErrorAs(t, err, &ce)

	// WithTimeout bounds the call.
	_, err = e.gw.Run(pipelineCtx(t), "text-to-speech/"+livepeertest.AIModelTextToSpeech, TextToSpeech{Text: Ptr("x")}, WithTimeout(time.Nanosecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)

	require.NoError(t, e.gw.Close())
	_, err = e.gw.Run(pipelineCtx(t), "text-to-speech/"+livepeertest.AIModelTextToSpeech, TextToSpeech{Text: Ptr("x")})
	require.ErrorIs(t, err, ErrClosed)
	_, err = e.gw.Stream(pipelineCtx(t), "llm/"+livepeertest.AIModelLLM, LLMRequest{})
	require.ErrorIs(t, err, ErrClosed)
}
