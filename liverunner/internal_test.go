package liverunner

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func testInfo(t *testing.T, price int64, seed byte, token string) *discovery.Info {
	t.Helper()
	pb := &lpnet.OrchestratorInfo{
		Transcoder: "https://o:1",
		PriceInfo:  &lpnet.PriceInfo{PricePerUnit: price, PixelsPerUnit: 1},
		TicketParams: &lpnet.TicketParams{Recipient: make([]byte, 20), FaceValue: []byte{1}, WinProb: []byte{1},
			RecipientRandHash: []byte{seed}, Seed: []byte{seed}, ExpirationBlock: []byte{9}},
	}
	if token != "" {
		pb.AuthToken = &lpnet.AuthToken{Token: []byte(token), SessionId: token}
	}
	b, err := proto.Marshal(pb)
	require.NoError(t, err)
	info, err := discovery.DecodeInfo("https://o:1", b)
	require.NoError(t, err)
	return info
}

func seedOf(t *testing.T, i *discovery.Info) byte {
	t.Helper()
	require.NotNil(t, i)
	require.NotNil(t, i.TicketParams)
	return i.TicketParams.Seed[0]
}

// A session payment's answer is master's protobuf PaymentResult or the
// JSON challenge shape of go-livepeer PR #4029; both give the next terms,
// and the session keeps its auth token when the answer has none.
func TestPaymentResultForms(t *testing.T) {
	cur := testInfo(t, 10, 1, "mid")

	next := testInfo(t, 10, 2, "")
	pbNext, err := proto.Marshal(&lpnet.PaymentResult{Info: mustProto(t, next)})
	require.NoError(t, err)
	got := paymentResultInfo(pbNext, cur.Addr, cur)
	require.Equal(t, byte(2), seedOf(t, got))
	pbGot := mustProto(t, got)
	require.Equal(t, "mid", pbGot.GetAuthToken().GetSessionId(), "auth token kept")

	raw := mustProto(t, testInfo(t, 10, 3, "other"))
	rb, err := proto.Marshal(raw)
	require.NoError(t, err)
	js, err := json.Marshal(challengeWire{PaymentParams: base64.StdEncoding.EncodeToString(rb), Orchestrator: "https://o:1", ManifestID: "mid", PaymentURL: "https://o:1/x/payment"})
	require.NoError(t, err)
	got = paymentResultInfo(js, cur.Addr, cur)
	require.Equal(t, byte(3), seedOf(t, got))

	require.Nil(t, paymentResultInfo(nil, cur.Addr, cur), "an empty answer carries nothing")
	require.Nil(t, paymentResultInfo([]byte(`{"error":"x"}`), cur.Addr, cur))
	require.Nil(t, paymentResultInfo([]byte{0xff, 0xff, 0xff}, cur.Addr, cur))

	// Adopted only when not above the reservation's price.
	require.True(t, notAbove(testInfo(t, 10, 4, ""), big.NewRat(10, 1)))
	require.True(t, notAbove(testInfo(t, 5, 4, ""), big.NewRat(10, 1)))
	require.False(t, notAbove(testInfo(t, 11, 4, ""), big.NewRat(10, 1)))
	require.False(t, notAbove(nil, big.NewRat(10, 1)))
}

func mustProto(t *testing.T, i *discovery.Info) *lpnet.OrchestratorInfo {
	t.Helper()
	var pb lpnet.OrchestratorInfo
	require.NoError(t, proto.Unmarshal(i.Protobuf(), &pb))
	return &pb
}

// A challenge without payment_params is not a challenge.
func TestParseChallenge(t *testing.T) {
	_, err := parseChallenge([]byte(`{"error":{"message":"invalid live runner payment signer address"}}`), "a")
	require.ErrorIs(t, err, errNoChallenge)
	_, err = parseChallenge([]byte(`{"payment_params":"***","manifest_id":"m"}`), "a")
	require.Error(t, err)
	require.NotErrorIs(t, err, errNoChallenge)
	b, _ := proto.Marshal(mustProto(t, testInfo(t, 7, 1, "m")))
	ch, err := parseChallenge([]byte(`{"payment_params":"`+base64.StdEncoding.EncodeToString(b)+`","manifest_id":"m","payment_url":"u"}`), "a")
	require.NoError(t, err)
	require.Equal(t, "m", ch.manifestID)
	require.Equal(t, "u", ch.paymentURL)
	require.Equal(t, int64(7), ch.info.Price.PricePerUnit)
}
