package livepeertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func decodeB64Proto(t *testing.T, s string, m proto.Message) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	require.NoError(t, proto.Unmarshal(b, m))
}

func errMessage(t *testing.T, body []byte) string {
	t.Helper()
	var env struct {
		Error struct{ Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	return env.Error.Message
}

// orchInfo asks o for info with the payer's credentials and the given LV2V models.
func orchInfo(t *testing.T, n *Network, o *Orchestrator, c *rawClient, models ...string) *lpnet.OrchestratorInfo {
	t.Helper()
	addr, sig := c.signOrchInfo(n.SignerURL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig, Capabilities: lv2vCaps(models...), IgnoreCapacityCheck: true})
	require.NoError(t, err)
	return info
}

func TestPaymentFlow(t *testing.T) {
	checkNoLeak(t)
	probe, err := newOrchestrator(orchestratorConfig{})
	require.NoError(t, err)
	ev := probe.ticketEV()
	probe.Close()
	// Budget: three tickets and a little.
	budget := ratFloor(new(big.Rat).Mul(ev, big.NewRat(3, 1)))
	budget.Add(budget, big.NewInt(1_000_000))
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1, SignerBalance: budget})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	o := n.Orchestrators()[0]
	payer := n.Signer().Address()
	info := orchInfo(t, n, o, c, "streamdiffusion")

	// First payment: 60 s of 720p30 at 1 wei/pixel is below one ticket's EV: one ticket.
	code, p1, _, body := c.generatePayment(n.SignerURL(), info, nil, "m1", "lv2v")
	require.Equal(t, http.StatusOK, code, string(body))
	var pay lpnet.Payment
	decodeB64Proto(t, p1.Payment, &pay)
	require.Equal(t, payer.Bytes(), pay.Sender)
	require.Len(t, pay.TicketSenderParams, 1)
	require.Equal(t, uint32(1), pay.TicketSenderParams[0].SenderNonce)
	require.True(t, proto.Equal(info.PriceInfo, pay.ExpectedPrice))
	var seg lpnet.SegData
	decodeB64Proto(t, p1.SegCreds, &seg)
	require.Equal(t, "m1", string(seg.ManifestId))
	require.True(t, proto.Equal(info.AuthToken, seg.AuthToken))
	var st struct{ State, Sig []byte }
	require.NoError(t, json.Unmarshal(p1.State, &st))
	var inner map[string]any
	require.NoError(t, json.Unmarshal(st.State, &inner))
	for _, k := range []string{"StateID", "PMSessionID", "LastUpdate", "OrchestratorAddress", "App", "AuthExpiry", "SenderNonce", "Balance", "InitialPricePerUnit", "InitialPixelsPerUnit", "Type", "SequenceNumber", "AuthID"} {
		require.Contains(t, inner, k)
	}
	require.True(t, verifySig(payer, st.State, st.Sig))

	// The orchestrator credits it and answers a PaymentResult with the same token and fresh params.
	code, res, msg := c.postPayment(o.URL(), p1.Payment, p1.SegCreds)
	require.Equal(t, http.StatusOK, code, msg)
	require.True(t, proto.Equal(info.AuthToken, res.Info.AuthToken))
	require.NotEqual(t, info.TicketParams.RecipientRandHash, res.Info.TicketParams.RecipientRandHash)
	require.Equal(t, ratFloor(ev), o.Balance(payer, "m1"))
	require.Equal(t, 1, o.TicketsReceived())
	require.Equal(t, 1, o.PaymentsReceived())

	// The same tickets again: nonce reuse, 400.
	code, _, msg = c.postPayment(o.URL(), p1.Payment, p1.SegCreds)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, msg, "already seen")

	// Second payment with the state and the refreshed info: one more ticket.
	info = res.Info
	code, p2, _, body := c.generatePayment(n.SignerURL(), info, p1.State, "m1", "lv2v")
	require.Equal(t, http.StatusOK, code, string(body))
	code, _, msg = c.postPayment(o.URL(), p2.Payment, p2.SegCreds)
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, ratFloor(new(big.Rat).Mul(ev, big.NewRat(2, 1))), o.Balance(payer, "m1"))

	// Now the balance covers the next interval: 482.
	code, _, _, body = c.generatePayment(n.SignerURL(), info, p2.State, "m1", "lv2v")
	require.Equal(t, signer.StatusNoTickets, code)
	require.Equal(t, "no tickets", errMessage(t, body))
	require.Equal(t, ratFloor(new(big.Rat).Mul(ev, big.NewRat(2, 1))), n.Signer().Spent())

	// A payment made now but delivered after the params expire is refused (400).
	// (A new state starts at nonce 1, so it needs fresh ticket params, as with go-livepeer.)
	code, p3, _, body := c.generatePayment(n.SignerURL(), orchInfo(t, n, o, c, "streamdiffusion"), nil, "m2", "lv2v")
	require.Equal(t, http.StatusOK, code, string(body))
	n.AdvanceBlocks(ticketParamsLifetime)
	code, _, msg = c.postPayment(o.URL(), p3.Payment, p3.SegCreds)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, msg, "TicketParams expired")
	require.Equal(t, int64(0), o.Balance(payer, "m2").Int64())

	// The payer asks for a refresh once the params expired by the block clock.
	code, _, resp, body := c.generatePayment(n.SignerURL(), info, p2.State, "m1", "lv2v")
	require.Equal(t, signer.StatusRefreshSession, code, string(body))
	require.Equal(t, o.URL(), resp.Header.Get("Livepeer-Orchestrator-URL"))

	// Fresh info, new session: the budget (3 tickets) is used up: 483, nothing committed.
	info = orchInfo(t, n, o, c, "streamdiffusion")
	spent := n.Signer().Spent()
	code, _, _, body = c.generatePayment(n.SignerURL(), info, nil, "m3", "lv2v")
	require.Equal(t, signer.StatusInsufficientBalance, code)
	require.Equal(t, "insufficient balance", errMessage(t, body))
	require.Equal(t, spent, n.Signer().Spent())
	require.Equal(t, 6, n.Signer().Calls("/generate-live-payment"))
}

func TestPaymentRejections(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Orchestrators: 2})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	o, other := n.Orchestrators()[0], n.Orchestrators()[1]
	info := orchInfo(t, n, o, c, "noop")
	code, p, _, body := c.generatePayment(n.SignerURL(), info, nil, "m", "lv2v")
	require.Equal(t, http.StatusOK, code, string(body))

	// 402: the payment header does not decode.
	code, _, msg := c.postPayment(o.URL(), "!!not base64", p.SegCreds)
	require.Equal(t, http.StatusPaymentRequired, code)
	require.Contains(t, msg, "base64")
	// 403: a token another orchestrator issued is invalid here.
	code, _, msg = c.postPayment(other.URL(), p.Payment, p.SegCreds)
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, msg, "invalid auth token")
	// 403: a tampered token.
	var seg lpnet.SegData
	decodeB64Proto(t, p.SegCreds, &seg)
	seg.AuthToken.Token[0] ^= 1
	b, err := proto.Marshal(&seg)
	require.NoError(t, err)
	code, _, msg = c.postPayment(o.URL(), p.Payment, base64.StdEncoding.EncodeToString(b))
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, msg, "invalid auth token")
	// 403: seg creds signed for another manifest.
	seg.AuthToken.Token[0] ^= 1
	seg.ManifestId = []byte("other")
	b, err = proto.Marshal(&seg)
	require.NoError(t, err)
	code, _, msg = c.postPayment(o.URL(), p.Payment, base64.StdEncoding.EncodeToString(b))
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, msg, "ErrSegSig")
	// 400: a ticket signature that does not match.
	var pay lpnet.Payment
	decodeB64Proto(t, p.Payment, &pay)
	pay.TicketSenderParams[0].Sig[5] ^= 1
	b, err = proto.Marshal(&pay)
	require.NoError(t, err)
	code, _, msg = c.postPayment(o.URL(), base64.StdEncoding.EncodeToString(b), p.SegCreds)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, msg, "invalid ticket signature")
	require.Equal(t, 0, o.TicketsReceived())

	// Signer-side rejections.
	var st struct{ State, Sig []byte }
	require.NoError(t, json.Unmarshal(p.State, &st))
	st.Sig[4] ^= 1
	bad, err := json.Marshal(st)
	require.NoError(t, err)
	code, _, _, body = c.generatePayment(n.SignerURL(), info, bad, "m", "lv2v")
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "invalid sig", errMessage(t, body))
	code, _, _, body = c.generatePayment(n.SignerURL(), info, p.State, "", "lv2v")
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "missing manifestID", errMessage(t, body))
	code, _, _, body = c.generatePayment(n.SignerURL(), info, p.State, "m", "live")
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "job type mismatch", errMessage(t, body))
	otherInfo := orchInfo(t, n, other, c, "noop")
	code, _, _, body = c.generatePayment(n.SignerURL(), otherInfo, p.State, "m", "lv2v")
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "orchestratorAddress mismatch", errMessage(t, body))
	code, _, _, body = c.generatePayment(n.SignerURL(), info, nil, "m", "bogus")
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "invalid job type", errMessage(t, body))
	// Price more than the initial session price: 481.
	pricier := proto.Clone(info).(*lpnet.OrchestratorInfo)
	pricier.PriceInfo = &lpnet.PriceInfo{PricePerUnit: 3, PixelsPerUnit: 1}
	code, _, _, body = c.generatePayment(n.SignerURL(), pricier, p.State, "m", "lv2v")
	require.Equal(t, signer.StatusPriceExceeded, code)
	require.Contains(t, errMessage(t, body), "initial session price")
}

func TestPaymentCapsAndCeiling(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1, SignerMaxPricePerUnit: big.NewRat(3, 2)})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	o := n.Orchestrators()[0]
	// sdxl costs 2 wei/pixel: above the payer's 1.5 ceiling.
	info := orchInfo(t, n, o, c, "streamdiffusion-sdxl")
	code, _, _, body := c.generatePayment(n.SignerURL(), info, nil, "m", "lv2v")
	require.Equal(t, signer.StatusPriceExceeded, code)
	require.Contains(t, errMessage(t, body), "configured maximum price")
	// The "" type bills inPixels; a fixed payment is one unit.
	info = orchInfo(t, n, o, c, "noop")
	code, _, _, body = c.generatePayment(n.SignerURL(), info, nil, "m", "")
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "missing billable unit or job type", errMessage(t, body))
	code, p, _, body := c.generatePayment(n.SignerURL(), info, nil, "m", "fixed")
	require.Equal(t, http.StatusOK, code, string(body))
	code, _, msg := c.postPayment(o.URL(), p.Payment, p.SegCreds)
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, 1, o.TicketsReceived())
	require.True(t, o.sufficientBalance(n.Signer().Address(), "m"))
	require.False(t, o.sufficientBalance(eth.Address{1}, "m"))
	before := o.Balance(n.Signer().Address(), "m")
	after := o.debit(n.Signer().Address(), "m", big.NewInt(10))
	require.Equal(t, new(big.Int).Sub(before, big.NewInt(10)), after)
}

func TestOffchainPayment(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Offchain: true, Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	o := n.Orchestrators()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{})
	require.NoError(t, err)
	// What the Python SDK sends offchain: empty payment, SegData carrying only the token.
	b, err := proto.Marshal(&lpnet.SegData{AuthToken: info.AuthToken})
	require.NoError(t, err)
	code, res, msg := c.postPayment(o.URL(), "", base64.StdEncoding.EncodeToString(b))
	require.Equal(t, http.StatusOK, code, msg)
	require.True(t, proto.Equal(info.AuthToken, res.Info.AuthToken))
	require.Nil(t, res.Info.TicketParams)
	// Without the token: 403.
	code, _, msg = c.postPayment(o.URL(), "", "")
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, msg, "missing auth token")
}

// ProcessTickets credits a payment without seg creds, as BYOC routes need.
func TestProcessTickets(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	o := n.Orchestrators()[0]
	code, p, _, body := c.generatePayment(n.SignerURL(), orchInfo(t, n, o, c, "noop"), nil, "m", "fixed")
	require.Equal(t, http.StatusOK, code, string(body))
	sender, err := o.ProcessTickets(p.Payment, "text-reversal")
	require.NoError(t, err)
	require.Equal(t, n.Signer().Address(), sender)
	require.Equal(t, ratFloor(o.ticketEV()), o.Balance(sender, "text-reversal"))
	_, err = o.ProcessTickets(p.Payment, "text-reversal")
	var pe *paymentError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusBadRequest, pe.StatusCode)
	_, err = o.ProcessTickets("%%%", "x")
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusPaymentRequired, pe.StatusCode)
}
