package livepeertest

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// batchPay posts a type-less payment request (the batch AI case).
func batchPay(t *testing.T, c *rawClient, signerURL string, info *lpnet.OrchestratorInfo, state json.RawMessage, units int64) (int, payResp, []byte) {
	t.Helper()
	ob, _ := proto.Marshal(info)
	body, _ := json.Marshal(map[string]any{"orchestrator": ob, "state": state, "ManifestID": "27_m", "inPixels": units})
	resp, err := c.http.Post(signerURL+"/generate-live-payment", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw := readAll(t, resp.Body)
	var out payResp
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(raw, &out))
	}
	return resp.StatusCode, out, raw
}

// TestSignerBatchPayments: with "type" omitted the units are inPixels and
// the tickets cover max(fee, EV) (go-livepeer server/remote_signer.go:536-626,
// master 176aa415ccea4f9861e0dd44e981cda17fb36f52); a state whose balance
// already covers the next fee gets 482 and no payment; more than 100
// tickets is a 400. (The state carries the balance forward, so a batch
// client that sent it back would see 482s with no seg creds: send none.)
func TestSignerBatchPayments(t *testing.T) {
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	o, c := n.Orchestrators()[0], newRawClient(t)
	const model = AIModelTextToImage
	price, _ := o.capabilityPrice("text-to-image/" + model) // 2e6 wei per pixel
	ev := o.ticketEV()

	// 262144 px × 2e6 = 5.2e11 < EV: one ticket.
	code, first, raw := batchPay(t, c, n.SignerURL(), aiInfo(t, n, o, c, model), nil, 512*512)
	require.Equal(t, 200, code, string(raw))
	var p lpnet.Payment
	decodeB64Proto(t, first.Payment, &p)
	assert.Len(t, p.TicketSenderParams, 1)
	// 4 × 1024² px × 2e6 = 8.4e12: nine tickets.
	code, resp, raw := batchPay(t, c, n.SignerURL(), aiInfo(t, n, o, c, model), nil, 4*1024*1024)
	require.Equal(t, 200, code, string(raw))
	decodeB64Proto(t, resp.Payment, &p)
	fee := new(big.Rat).Mul(price, big.NewRat(4*1024*1024, 1))
	q := new(big.Rat).Quo(fee, ev)
	want := new(big.Int).Quo(q.Num(), q.Denom())
	if !q.IsInt() {
		want.Add(want, big.NewInt(1))
	}
	assert.Equal(t, want.Int64(), int64(len(p.TicketSenderParams)))
	assert.Equal(t, int64(9), want.Int64())

	// The state of the first payment holds EV − fee (0.48 EV) of credit. A
	// tiny next fee still needs one ticket (the minimum credit is one EV),
	// which leaves 1.48 EV; the call after that needs none: 482, and no
	// payment, state or seg creds come back.
	code, second, raw := batchPay(t, c, n.SignerURL(), aiInfo(t, n, o, c, model), first.State, 1)
	require.Equal(t, 200, code, string(raw))
	decodeB64Proto(t, second.Payment, &p)
	assert.Len(t, p.TicketSenderParams, 1)
	code, _, raw = batchPay(t, c, n.SignerURL(), aiInfo(t, n, o, c, model), second.State, 1)
	assert.Equal(t, signer.StatusNoTickets, code, string(raw))
	b := n.Signer().BatchPayments()
	assert.Len(t, b, 3, "a 482 makes no payment")

	// Over 100 tickets: 400 before anything is signed.
	code, _, raw = batchPay(t, c, n.SignerURL(), aiInfo(t, n, o, c, model), nil, 101*1_000_000)
	assert.Equal(t, 400, code)
	assert.Contains(t, errMessage(t, raw), "numTickets 202 exceeds maximum of 100")
	assert.Len(t, n.Signer().BatchPayments(), 3)
	assert.Equal(t, []int64{512 * 512, 4 * 1024 * 1024, 1}, []int64{b[0].Units, b[1].Units, b[2].Units})
}

// aiInfo is GetOrchestrator for (text-to-image, model) with the signer's credentials.
func aiInfo(t *testing.T, n *Network, o *Orchestrator, c *rawClient, model string) *lpnet.OrchestratorInfo {
	t.Helper()
	addr, sig := c.signOrchInfo(n.SignerURL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig, Capabilities: aiCapsFor(27, model)})
	require.NoError(t, err)
	return info
}
