package livepeertest

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// $3.6 an hour at DefaultUSDPerETH ($2500) is 4e11 wei a second.
const echoWeiPerSecond = 400_000_000_000

func echoRunner() StaticRunner {
	return StaticRunner{Label: "echo", App: "test/echo", Version: "1.0", Metadata: `{"k":1}`, Capacity: 1,
		GPU: &RunnerGPU{ID: "0", Name: "NVIDIA L40S", VRAMMB: 46068}, PriceInfo: usd("3.6", "hour")}
}

func TestRunnerReservePayProxyStop(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{}, echoRunner())
	ids := f.reg.RunnerIDs()
	require.Len(t, ids, 1)
	id := ids[0]
	sessURL := f.o.URL() + "/apps/" + id + "/session"

	// Discovery: the orchestrator URL, never the runner's; the price in wei per second.
	_, _, raw := f.do(http.MethodGet, f.o.URL()+"/discovery", nil, nil)
	require.NotContains(t, string(raw), f.appSrv.URL)
	d := f.discovery()
	require.Len(t, d, 1)
	require.Equal(t, DiscoveryRunner{URL: sessURL, GPU: &RunnerGPU{ID: "0", Name: "NVIDIA L40S", VRAMMB: 46068}, App: "test/echo",
		Version: "1.0", Metadata: `{"k":1}`, Mode: "persistent", Capacity: 1, CapacityUsed: 0, CapacityAvailable: 1,
		PriceInfo: &RunnerPrice{Price: "400000000000", Currency: "wei", Unit: "seconds"}}, d[0])

	// No payer: a JSON error, not a challenge.
	status, hdr, body := f.do(http.MethodPost, sessURL, nil, nil)
	require.Equal(t, http.StatusPaymentRequired, status)
	require.Equal(t, "application/json", hdr.Get("Content-Type"))
	require.JSONEq(t, `{"error":{"message":"invalid live runner payment signer address"}}`, string(body))

	// 402 → pay → 200.
	sess, ch, info, state := f.reservePaid(sessURL, "live")
	require.Equal(t, f.o.URL(), ch.Orchestrator)
	require.Equal(t, sessURL+"/"+ch.ManifestID+"/payment", ch.PaymentURL)
	require.Equal(t, ch.ManifestID, info.GetAuthToken().GetSessionId())
	require.Equal(t, int64(echoWeiPerSecond), info.GetPriceInfo().GetPricePerUnit())
	require.Equal(t, int64(1), info.GetPriceInfo().GetPixelsPerUnit())
	require.Equal(t, f.o.Address().Bytes(), info.GetAddress())
	require.NotNil(t, info.GetTicketParams())
	require.Equal(t, ch.ManifestID, sess.SessionID)
	require.Equal(t, sessURL+"/"+sess.SessionID+"/app", sess.AppURL)
	require.Equal(t, sessURL+"/"+sess.SessionID, sess.ControlURL)
	require.Equal(t, 1, f.discovery()[0].CapacityUsed)

	// The proxy: path, query and Host rewritten, the four headers injected
	// (a spoofed token overwritten), other Livepeer-* headers kept.
	e := f.echo(sess.AppURL+"/echo/a/b?x=1&y=2", map[string]string{SessionTokenHeader: "spoofed", "Livepeer-Custom": "kept"})
	require.Equal(t, "/echo/a/b", e.Path)
	require.Equal(t, "x=1&y=2", e.Query)
	require.Equal(t, strings.TrimPrefix(f.appSrv.URL, "http://"), e.Host)
	require.Equal(t, id, e.Livepeer[RunnerRouteHeader])
	require.Equal(t, sess.SessionID, e.Livepeer[SessionIDHeader])
	require.Equal(t, f.o.URL()+"/runner/"+id+"/session/"+sess.SessionID, e.Livepeer[SessionControlHeader])
	require.NotEqual(t, "spoofed", e.Livepeer[SessionTokenHeader])
	require.NotEmpty(t, e.Livepeer[SessionTokenHeader])
	require.Equal(t, "kept", e.Livepeer["Livepeer-Custom"])

	// Capacity 1: a second paid reservation is refused after the payment dance.
	status, _, body = f.do(http.MethodPost, sessURL, nil, f.payer())
	require.Equal(t, http.StatusPaymentRequired, status)
	ch2, info2 := challengeOf(t, body)
	hdr2, _ := f.pay(info2, ch2.ManifestID, "live", nil)
	status, _, body = f.do(http.MethodPost, sessURL, nil, hdr2)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "no capacity available for runner\n", string(body))

	// The same manifest again: 409.
	hdrDup, _ := f.pay(info, ch.ManifestID, "live", state)
	status, _, body = f.do(http.MethodPost, sessURL, nil, hdrDup)
	require.Equal(t, http.StatusConflict, status, "%s", body)

	// Follow-up payment: a protobuf PaymentResult keeping the session's token.
	before := f.o.PaymentsReceived()
	hdr3, state := f.pay(info, sess.SessionID, "live", state)
	status, _, body = f.do(http.MethodPost, sess.ControlURL+"/payment", nil, hdr3)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var res lpnet.PaymentResult
	require.NoError(t, proto.Unmarshal(body, &res))
	require.Equal(t, sess.SessionID, res.GetInfo().GetAuthToken().GetSessionId())
	require.Equal(t, before+1, f.o.PaymentsReceived())

	// A payment for another manifest: 403.
	hdr4, _ := f.pay(info2, ch2.ManifestID, "live", nil)
	status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/payment", nil, hdr4)
	require.Equal(t, http.StatusForbidden, status)
	// An undecodable payment: 402.
	status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/payment", nil, map[string]string{lphttp.HeaderPayment: "%%%", lphttp.HeaderSegment: "x"})
	require.Equal(t, http.StatusPaymentRequired, status)

	// Stop: 204, idempotent; then the app and payments answer 404.
	for range 2 {
		status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/stop", nil, nil)
		require.Equal(t, http.StatusNoContent, status)
	}
	status, _, body = f.do(http.MethodGet, sess.AppURL+"/echo/x", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "runner session not found\n", string(body))
	hdr5, _ := f.pay(info, sess.SessionID, "live", state)
	status, _, _ = f.do(http.MethodPost, sess.ControlURL+"/payment", nil, hdr5)
	require.Equal(t, http.StatusNotFound, status)
	require.Empty(t, f.reg.Sessions())
	require.Equal(t, 0, f.discovery()[0].CapacityUsed)

	// Unknown runner: 404.
	status, _, body = f.do(http.MethodPost, f.o.URL()+"/apps/nope/session", nil, f.payer())
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "runner not found\n", string(body))
}

func TestRunnerChargesUntilBalanceRunsOut(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{PaymentInterval: 50 * time.Millisecond}, echoRunner())
	id := f.reg.RunnerIDs()[0]
	sess, _, _, _ := f.reservePaid(f.o.URL()+"/apps/"+id+"/session", "live")
	payer := f.n.Signer().Address()
	credited := f.o.Balance(payer, sess.SessionID)
	require.Positive(t, credited.Sign())

	// Each charge bills whole seconds at the runner's price.
	eventually(t, func() bool {
		s := f.reg.Sessions()
		return len(s) == 1 && s[0].Charges >= 1
	}, "a charge")
	charged := new(big.Int).Sub(credited, f.o.Balance(payer, sess.SessionID))
	require.Zero(t, new(big.Int).Rem(charged, big.NewInt(echoWeiPerSecond)).Sign(), "charged %s", charged)
	require.Positive(t, charged.Sign())

	// Empty the balance: the next charge fails and the session is released.
	f.o.debit(payer, sess.SessionID, f.o.Balance(payer, sess.SessionID))
	eventually(t, func() bool { return len(f.reg.Sessions()) == 0 }, "session released")
	status, _, _ := f.do(http.MethodGet, sess.AppURL+"/echo/x", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

func TestRunnerFirstPaymentFailureReleases(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{}, echoRunner())
	sessURL := f.o.URL() + "/apps/" + f.reg.RunnerIDs()[0] + "/session"
	status, _, body := f.do(http.MethodPost, sessURL, nil, f.payer())
	require.Equal(t, http.StatusPaymentRequired, status)
	ch, info := challengeOf(t, body)
	hdr, _ := f.pay(info, ch.ManifestID, "live", nil)
	f.n.AdvanceBlocks(50) // the tickets' params expire before they reach the orchestrator
	status, _, body = f.do(http.MethodPost, sessURL, nil, hdr)
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, string(body), "TicketParams expired")
	require.Empty(t, f.reg.Sessions())
	require.Equal(t, 0, f.discovery()[0].CapacityUsed)

	// One payment header without the other is checked, not challenged: an
	// empty Livepeer-Payment decodes (to an empty payment) and the
	// credentials then fail, as on go-livepeer.
	status, _, _ = f.do(http.MethodPost, sessURL, nil, map[string]string{lphttp.HeaderSegment: hdr[lphttp.HeaderSegment]})
	require.Equal(t, http.StatusForbidden, status)
	status, _, _ = f.do(http.MethodPost, sessURL, nil, map[string]string{lphttp.HeaderPayment: hdr[lphttp.HeaderPayment], lphttp.HeaderSegment: "bad"})
	require.Equal(t, http.StatusForbidden, status)
}

func TestRunnerFixedPrice(t *testing.T) {
	r := echoRunner()
	r.PriceInfo = usd("0.01", "fixed") // 4e12 wei
	f := newRunnerFixture(t, false, RunnersConfig{}, r)
	d := f.discovery()
	require.Equal(t, &RunnerPrice{Price: "4000000000000", Currency: "wei", Unit: "fixed"}, d[0].PriceInfo)
	sess, _, info, state := f.reservePaid(d[0].URL, "fixed")
	payer := f.n.Signer().Address()
	credited := new(big.Rat).Mul(f.o.ticketEV(), big.NewRat(int64(f.o.TicketsReceived()), 1))
	require.Equal(t, ratFloorSigned(credited.Sub(credited, big.NewRat(4e12, 1))), f.o.Balance(payer, sess.SessionID),
		"the fixed price is charged once, at reservation")
	hdr, _ := f.pay(info, sess.SessionID, "fixed", state)
	status, _, body := f.do(http.MethodPost, sess.ControlURL+"/payment", nil, hdr)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "fixed-price live runner sessions do not accept follow-up payments\n", string(body))
	require.Equal(t, sess.SessionID, f.echo(sess.AppURL+"/echo/", nil).Livepeer[SessionIDHeader])
}

func TestRunnerUSDConversion(t *testing.T) {
	for _, c := range []struct {
		in   RunnerPrice
		want RunnerPrice
		err  string
	}{
		{usd("3.6", "hour"), RunnerPrice{"400000000000", "wei", "seconds"}, ""},
		{usd("3.6", ""), RunnerPrice{"400000000000", "wei", "seconds"}, ""},
		{usd("0.01", "fixed"), RunnerPrice{"4000000000000", "wei", "fixed"}, ""},
		{usd("2488.32", "720p"), RunnerPrice{"10000000", "wei", "720p-pixel-seconds"}, ""},
		{usd("1e-20", "hour"), RunnerPrice{}, "at least one wei"},
	} {
		p, err := normalizeUSDPrice(c.in)
		require.NoError(t, err)
		got, err := weiPrice(p, DefaultUSDPerETH)
		if c.err != "" {
			require.ErrorContains(t, err, c.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
	for _, bad := range []RunnerPrice{usd("0", "hour"), usd("-1", "hour"), usd("1", "day"), {Price: "1", Currency: "eur"}, {}} {
		_, err := normalizeUSDPrice(bad)
		require.Error(t, err, "%+v", bad)
	}
}

func TestRunnerPriceUnavailable(t *testing.T) {
	r := echoRunner()
	r.PriceInfo = usd("0.000000000000000000001", "hour")
	f := newRunnerFixture(t, false, RunnersConfig{}, r)
	d := f.discovery()
	require.Len(t, d, 1)
	require.Nil(t, d[0].PriceInfo, "an unconvertible price is left out of discovery")
	status, _, body := f.do(http.MethodPost, d[0].URL, nil, f.payer())
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.True(t, strings.HasPrefix(string(body), "live runner price unavailable: "), "%s", body)
}

func TestRunnerOffchainReserve(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{}, echoRunner())
	d := f.discovery()
	require.Len(t, d, 1)
	require.Nil(t, d[0].PriceInfo)
	status, _, body := f.do(http.MethodPost, d[0].URL, nil, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	sess := decode[runnerSessionResponse](t, body)
	require.True(t, strings.HasPrefix(sess.SessionID, "session_"), sess.SessionID)
	require.Equal(t, sess.SessionID, f.echo(sess.AppURL+"/echo/", nil).Livepeer[SessionIDHeader])
	status, _, _ = f.do(http.MethodPost, d[0].URL, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
	u, err := url.Parse(sess.ControlURL)
	require.NoError(t, err)
	require.Equal(t, "/apps/"+f.reg.RunnerIDs()[0]+"/session/"+sess.SessionID, u.Path)
}

// The signer's /generate-live-payment takes a runner challenge with the
// payment type of its unit and the caller's maxPrice (go-livepeer
// remote_signer.go): at or above the runner's price it pays, below it
// answers 481.
func TestRunnerSignerMaxPrice(t *testing.T) {
	f := newRunnerFixture(t, false, RunnersConfig{}, echoRunner())
	d := f.discovery()[0]
	status, _, body := f.do(http.MethodPost, d.URL, nil, f.payer())
	require.Equal(t, http.StatusPaymentRequired, status)
	ch, info := challengeOf(t, body)
	ob, err := proto.Marshal(info)
	require.NoError(t, err)
	for _, c := range []struct {
		max  string
		unit string
		want int
	}{
		{"400000000000", "seconds", http.StatusOK},
		{"399999999999", "seconds", signer.StatusPriceExceeded},
		{"400000000000", "fixed", http.StatusBadRequest}, // the unit must match the type
	} {
		req := map[string]any{"orchestrator": ob, "ManifestID": ch.ManifestID, "type": "live",
			"maxPrice": map[string]any{"price": json.Number(c.max), "currency": "wei", "unit": c.unit}}
		status, _, body := f.do(http.MethodPost, f.n.SignerURL()+"/generate-live-payment", req, nil)
		require.Equal(t, c.want, status, "%+v: %s", c, body)
	}
}
