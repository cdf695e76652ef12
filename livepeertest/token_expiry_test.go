package livepeertest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func TestAuthTokenExpiry(t *testing.T) {
	checkNoLeak(t)
	o, err := newOrchestrator(orchestratorConfig{})
	require.NoError(t, err)
	defer o.Close()
	past := o.authToken("abcd0123", time.Now().Add(-time.Second).Unix())
	require.EqualError(t, o.checkAuthToken(past), "expired auth token")
	require.EqualError(t, o.checkAuthToken(nil), "missing auth token")
	require.NoError(t, o.checkAuthToken(o.newAuthToken()))
}

// The signer refreshes in the last 10 % of go-livepeer's 30-minute validity: a
// token valid for one minute is already due.
func TestSignerRefreshOnShortToken(t *testing.T) {
	checkNoLeak(t)
	clock := newBlockClock(100)
	o, err := newOrchestrator(orchestratorConfig{Clock: clock, AuthTokenValidity: time.Minute})
	require.NoError(t, err)
	defer o.Close()
	s, err := newSigner(signerConfig{Clock: clock})
	require.NoError(t, err)
	defer s.Close()
	c := newRawClient(t)
	info := o.orchestratorInfo(s.Address(), lv2vCaps("noop"))
	code, _, resp, _ := c.generatePayment(s.URL(), info, nil, "m", "lv2v")
	require.Equal(t, signer.StatusRefreshSession, code)
	require.Equal(t, o.URL(), resp.Header.Get(lphttp.HeaderOrchestratorURL))
	require.Equal(t, http.StatusOK, func() int {
		o2, err := newOrchestrator(orchestratorConfig{Clock: clock})
		require.NoError(t, err)
		defer o2.Close()
		code, _, _, _ := c.generatePayment(s.URL(), o2.orchestratorInfo(s.Address(), lv2vCaps("noop")), nil, "m", "lv2v")
		return code
	}())
}
