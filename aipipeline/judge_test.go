package aipipeline

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// What the failover loop does after each kind of failure: move on only
// while nothing was charged, retry expired ticket params on the same
// orchestrator, stop otherwise.
func TestJudge(t *testing.T) {
	c := Capability{Pipeline: LLM, Model: "m"}
	orch := func(status int, msg string) error {
		return fmt.Errorf("wrapped: %w", classify("https://o:1", c, status, []byte(msg)))
	}
	signerErr := func(kind error) error {
		return fmt.Errorf("aipipeline: paying: %w", &signer.Error{Op: "generate-live-payment", Kind: kind})
	}
	for _, tc := range []struct {
		name  string
		err   error
		wrote bool
		want  verdict
	}{
		{"ticket params expired", orch(400, "TicketParams expired"), true, retrySame},
		{"replayed nonce", orch(400, "invalid ticket senderNonce"), true, next},
		{"no capacity", orch(503, "insufficient capacity"), true, next},
		{"any 503", orch(503, "upstream down"), true, next},
		{"undecodable payment", orch(402, "protobuf unmarshal error"), true, next},
		{"bad seg creds", orch(403, "ErrSegSig"), true, next},
		{"other ticket error", orch(400, "invalid recipientRandHash"), true, next},
		{"insufficient balance: credited", orch(400, "Insufficient balance"), true, stop},
		{"bad input", orch(400, "MaxTokens not specified"), true, stop},
		{"runner refused input", orch(500, "llm container returned 400: bad"), true, stop},
		{"runner failed: credited", orch(500, "CUDA out of memory"), true, stop},
		{"no route", orch(404, "404 page not found"), true, next},
		{"bad gateway: maybe processed", orch(502, ""), true, stop},
		{"connection failed before writing", unavailable("https://o:1", c, errors.New("connection refused")), false, next},
		{"connection failed after writing", unavailable("https://o:1", c, errors.New("EOF")), true, stop},
		{"bad answer: charged", badResponse("https://o:1", c, "no choices"), true, stop},
		{"signer: price", signerErr(lperr.ErrPriceExceeded), false, next},
		{"signer: refresh", signerErr(lperr.ErrRefreshSession), false, retrySame},
		{"signer: payment failed", signerErr(lperr.ErrPaymentFailed), false, next},
		{"signer: out of credit", signerErr(lperr.ErrInsufficientBalance), false, stop},
		{"signer: down", signerErr(lperr.ErrSignerUnavailable), false, stop},
		{"signer: unauthorized", signerErr(lperr.ErrUnauthorized), false, stop},
		{"100 tickets", &PaymentLimitError{Limit: LimitTickets}, false, next},
		{"max total EV", &PaymentLimitError{Limit: LimitTotalEV}, false, stop},
		{"unknown", errors.New("?"), false, stop},
	} {
		assert.Equal(t, tc.want, judge(tc.err, tc.wrote), tc.name)
	}
}

// Orchestrator answers match the SDK's shared sentinels, as the other
// kinds' refusals do.
func TestErrorSharedSentinels(t *testing.T) {
	c := Capability{Pipeline: TextToImage, Model: "m"}
	e := func(status int, msg string) error { return classify("https://o:1", c, status, []byte(msg)) }
	is := func(err error, yes, no []error) {
		t.Helper()
		for _, s := range yes {
			assert.ErrorIs(t, err, s)
		}
		for _, s := range no {
			assert.NotErrorIs(t, err, s)
		}
	}
	is(e(400, "Insufficient balance"), []error{lperr.ErrInsufficientBalance, ErrPayment}, []error{lperr.ErrPaymentFailed, ErrBadInput})
	is(e(402, "x"), []error{lperr.ErrPaymentFailed}, []error{lperr.ErrInsufficientBalance})
	is(e(400, "TicketParams expired"), []error{lperr.ErrPaymentFailed, ErrRetryable}, nil)
	is(e(500, "boom"), []error{lperr.ErrJobFailed, ErrRunner}, []error{lperr.ErrOrchestratorUnavailable})
	is(e(503, "insufficient capacity"), []error{lperr.ErrOrchestratorUnavailable}, []error{lperr.ErrJobFailed})
	is(e(400, "prompt is required"), []error{ErrBadInput}, []error{lperr.ErrPaymentFailed, lperr.ErrOrchestratorUnavailable, lperr.ErrJobFailed})
	is(badResponse("https://o:1", c, "x"), []error{lperr.ErrOrchestratorUnavailable, ErrBadResponse}, nil)
	_, err := ParseCapability("text-to-image")
	is(err, []error{ErrInvalidCapability, discovery.ErrInvalidCapability}, nil)
	is(&PaymentLimitError{Limit: LimitTickets}, []error{lperr.ErrPaymentFailed}, []error{lperr.ErrSignerUnavailable})
}

func TestTicketsFor(t *testing.T) {
	ev := big.NewRat(1000, 1)
	for _, tc := range []struct {
		fee  *big.Rat
		want int64
	}{
		{big.NewRat(1, 1), 1},    // at least one ticket's EV
		{big.NewRat(2000, 1), 2}, // exact
		{big.NewRat(2001, 1), 3}, // rounded up
		{big.NewRat(100000, 1), 100},
		{big.NewRat(100001, 1), 101},
	} {
		assert.Equal(t, tc.want, ticketsFor(tc.fee, ev), tc.fee.String())
	}
	assert.Zero(t, ticketsFor(big.NewRat(1, 1), nil))
	assert.Zero(t, ticketsFor(nil, ev))
}

func TestPaymentLimitErrorSays(t *testing.T) {
	e := &PaymentLimitError{Capability: Capability{Pipeline: TextToImage, Model: "m"}, Orchestrator: "https://o:1",
		Units: 67108864, Fee: big.NewRat(134217728000000, 1), TicketEV: big.NewRat(1e12, 1), Tickets: 135, Limit: LimitTickets}
	assert.Equal(t, "aipipeline: text-to-image/m at https://o:1: 67108864 units cost 134217728000000 wei (135 tickets of 1000000000000 wei): "+
		"more than the remote signer's 100 tickets per payment; ask for fewer units (smaller or fewer images, lower max_tokens, shorter text or audio)", e.Error())
	e.Limit, e.SignerMessage = LimitTotalEV, "Internal Server Error"
	assert.Contains(t, e.Error(), "-maxTotalEV")
	assert.Contains(t, e.Error(), "(signer: Internal Server Error)")
}

// WarmFirst puts the orchestrators with the model warm first and keeps
// the rank order among warm and among cold ones.
func TestWarmFirst(t *testing.T) {
	c := Capability{Pipeline: LLM, Model: "m"}
	info := func(addr string, warm, listed bool) *discovery.Info {
		models := map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{"other": {Warm: true}}
		if listed {
			models["m"] = &lpnet.Capabilities_CapabilityConstraints_ModelConstraint{Warm: warm}
		}
		b, err := proto.Marshal(&lpnet.OrchestratorInfo{Transcoder: "https://" + addr, Capabilities: &lpnet.Capabilities{
			Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{
				33: {Models: models}}}}})
		require.NoError(t, err)
		in, err := discovery.DecodeInfo(addr, b)
		require.NoError(t, err)
		return in
	}
	in := []*discovery.Info{info("cold1", false, true), info("warm1", true, true), info("unlisted", true, false), info("warm2", true, true), info("cold2", false, true)}
	var got []string
	for _, i := range WarmFirst(in, c) {
		got = append(got, i.Addr)
	}
	assert.Equal(t, []string{"warm1", "warm2", "cold1", "unlisted", "cold2"}, got)
	assert.Equal(t, "cold1", in[0].Addr, "input unchanged")
}
