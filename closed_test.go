package livepeer_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/lv2v"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

// TestClosedObjectsSayErrClosed checks the one error vocabulary: every
// object of the SDK's packages that can be closed answers later calls with
// an error matching livepeer.ErrClosed, whichever package made it.
// (trickle and media are checked by their own tests.)
func TestClosedObjectsSayErrClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		Workers: map[string]http.Handler{"tokens": &worker.Streamer{Count: 1000, Interval: 50 * time.Millisecond}}})
	require.NoError(t, err)
	defer n.Close()
	closed := func(what string, err error) {
		t.Helper()
		require.Error(t, err, what)
		require.True(t, errors.Is(err, livepeer.ErrClosed), "%s: %v", what, err)
	}

	// livepeer.LiveSession.
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	require.NoError(t, err)
	defer gw.Close()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	require.NoError(t, err)
	require.NoError(t, sess.Close())
	closed("LiveSession.Control", sess.Control(ctx, map[string]any{"a": 1}))
	closed("LiveSession.Publish", sess.Publish(ctx, bytes.NewReader([]byte("x"))))
	_, err = sess.NextSegment(ctx)
	closed("LiveSession.NextSegment", err)
	closed("LiveSession.EndInput", sess.EndInput(ctx))
	closed("LiveSession.Update", sess.Update(ctx, map[string]any{"a": 1}))

	// livepeer.Stream: closed while it runs.
	st, err := gw.Stream(ctx, "tokens", worker.StreamRequest{Text: "a b c"})
	require.NoError(t, err)
	var last error
	for _, err := range st.Events(ctx) {
		if err != nil {
			last = err
			break
		}
		_ = st.Close()
	}
	closed("Stream.Events after Close", last)

	// payment.Session and lv2v.Stream (whose payments stop with it).
	sel, err := gw.Select(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	info, err := sel.Next(ctx)
	require.NoError(t, err)
	ps, err := gw.NewPaymentSession(info, payment.Config{})
	require.NoError(t, err)
	require.NoError(t, ps.Close())
	_, err = ps.Next(ctx)
	closed("payment.Session.Next", err)
	closed("payment.Session.SendLV2V", ps.SendLV2V(ctx))
	lc, err := lv2v.New(lv2v.Config{Payments: gw})
	require.NoError(t, err)
	sel, err = gw.Select(ctx, "live-video-to-video/noop")
	require.NoError(t, err)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed test orchestrator
	defer tr.CloseIdleConnections()
	ls, err := lc.Start(ctx, &http.Client{Transport: tr}, sel, lv2v.StreamSpec{Model: "noop"})
	require.NoError(t, err)
	require.NoError(t, ls.Close())
	closed("lv2v.Stream.Pay", ls.Pay(ctx))

	// discovery.Client.
	dc, err := discovery.NewClient(discovery.ClientConfig{Signer: gw.Signer()})
	require.NoError(t, err)
	require.NoError(t, dc.Close())
	_, err = dc.GetOrchestrator(ctx, n.OrchestratorAddrs()[0], nil)
	closed("discovery.Client.GetOrchestrator", err)
	_, _, err = dc.Query(ctx, n.OrchestratorAddrs(), nil)
	closed("discovery.Client.Query", err)

	// livepeertest.BYOCServer.
	bs := n.BYOC()[0]
	require.NoError(t, bs.Close())
	closed("livepeertest.BYOCServer.ServeWorker", func() error {
		_, err := bs.ServeWorker("tokens", 1, worker.TextReversal())
		return err
	}())

	// livepeer.Gateway, last: every verb and helper.
	require.NoError(t, gw.Close())
	_, err = gw.Orchestrators(ctx, "")
	closed("Gateway.Orchestrators", err)
	_, err = gw.Select(ctx, "")
	closed("Gateway.Select", err)
	_, err = gw.Run(ctx, "tokens", nil)
	closed("Gateway.Run", err)
	_, err = gw.Stream(ctx, "tokens", nil)
	closed("Gateway.Stream", err)
	_, err = gw.Live(ctx, "live-video-to-video/noop", nil)
	closed("Gateway.Live", err)
	_, err = gw.Refresh(ctx, info)
	closed("Gateway.Refresh", err)
	_, err = gw.NewPaymentSession(info, payment.Config{})
	closed("Gateway.NewPaymentSession", err)
}
