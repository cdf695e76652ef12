package livepeertest

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func lv2vCaps(models ...string) *lpnet.Capabilities {
	c := &lpnet.Capabilities{
		Capacities:  map[uint32]uint32{capLiveVideoToVideo: 1},
		Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{capLiveVideoToVideo: {Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{}}}},
	}
	for _, m := range models {
		c.Constraints.PerCapability[capLiveVideoToVideo].Models[m] = &lpnet.Capabilities_CapabilityConstraints_ModelConstraint{}
	}
	return c
}

func TestNetworkGetOrchestratorSigned(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	addr, sig := c.signOrchInfo(n.SignerURL())
	require.Equal(t, n.Signer().Address(), addr)
	require.Len(t, sig, 65)
	require.Contains(t, []byte{27, 28}, sig[64])
	require.Len(t, n.OrchestratorAddrs(), 3)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o := n.Orchestrators()[0]

	// Without caps: base price, capabilities_prices and hardware.
	info, err := getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig})
	require.NoError(t, err)
	require.Equal(t, o.URL(), info.Transcoder)
	require.Equal(t, o.Address().Bytes(), info.Address)
	require.Equal(t, int64(1), info.PriceInfo.PricePerUnit)
	require.NotEmpty(t, info.CapabilitiesPrices)
	require.NotEmpty(t, info.Hardware)
	var byoc *lpnet.PriceInfo
	for _, p := range info.CapabilitiesPrices {
		if p.Capability == capBYOC {
			byoc = p
		}
	}
	require.NotNil(t, byoc)
	require.Equal(t, "text-reversal", byoc.Constraint)
	require.Equal(t, int64(1), byoc.PixelsPerUnit)
	tp := info.TicketParams
	require.Equal(t, o.Address().Bytes(), tp.Recipient)
	require.Equal(t, n.clock.block()+ticketParamsLifetime, new(bigInt).SetBytes(tp.ExpirationBlock).Int64())
	require.Len(t, tp.RecipientRandHash, 32)
	require.Len(t, info.AuthToken.SessionId, 8)
	require.NoError(t, o.checkAuthToken(info.AuthToken))
	require.InDelta(t, time.Now().Add(30*time.Minute).Unix(), info.AuthToken.Expiration, 5)
	live := info.Capabilities.Constraints.PerCapability[capLiveVideoToVideo]
	require.True(t, live.Models["streamdiffusion"].Warm)
	require.Equal(t, uint32(4), live.Models["streamdiffusion"].Capacity)
	require.True(t, hasBit(info.Capabilities.Bitstring, capLiveVideoToVideo))
	require.False(t, hasBit(info.Capabilities.Bitstring, capBYOC))

	// With caps: the sum of the requested models' prices, no capabilities_prices/hardware.
	info, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig,
		Capabilities: lv2vCaps("streamdiffusion", "streamdiffusion-sdxl"), IgnoreCapacityCheck: true})
	require.NoError(t, err)
	require.Equal(t, int64(3), info.PriceInfo.PricePerUnit)
	require.Equal(t, int64(1), info.PriceInfo.PixelsPerUnit)
	require.Empty(t, info.CapabilitiesPrices)
	require.Empty(t, info.Hardware)

	// A bad signature is refused with go-livepeer's message.
	bad := append([]byte(nil), sig...)
	bad[3] ^= 1
	_, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: bad})
	require.Error(t, err)
	require.Contains(t, err.Error(), "orchestrator req sig check failed")
	// Unknown model with the capacity check on: capped.
	_, err = getOrchestrator(ctx, t, o.Addr(), &lpnet.OrchestratorRequest{Address: addr.Bytes(), Sig: sig, Capabilities: lv2vCaps("nope")})
	require.ErrorContains(t, err, "OrchestratorCapped")
	require.Equal(t, 4, o.GetOrchestratorCalls())
}

type bigInt = big.Int

func TestNetworkOffchain(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Offchain: true, Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	require.Empty(t, n.SignerURL())
	require.Nil(t, n.Signer())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := getOrchestrator(ctx, t, n.OrchestratorAddrs()[0], &lpnet.OrchestratorRequest{})
	require.NoError(t, err)
	require.Nil(t, info.TicketParams)
	require.Nil(t, info.PriceInfo)
	require.Equal(t, eth.Address{}.Bytes(), info.Address)
	require.NotNil(t, info.AuthToken)
	var tok map[string]string
	raw, err := base64.StdEncoding.DecodeString(n.Token())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &tok))
	require.Equal(t, map[string]string{"discovery": n.DiscoveryURL()}, tok)
}

func TestDiscovery(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Orchestrators: 2, Capabilities: []CapabilitySpec{
		{Name: "live-video-to-video/noop", PricePerUnit: 1},
		{Name: "byoc/echo", PricePerUnit: 5},
	}})
	require.NoError(t, err)
	defer n.Close()
	c := newRawClient(t)
	var tok map[string]string
	raw, err := base64.StdEncoding.DecodeString(n.Token())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &tok))
	require.Equal(t, n.SignerURL(), tok["signer"])
	require.Equal(t, n.DiscoveryURL(), tok["discovery"])

	get := func(url string) (int, []discoveryEntry) {
		resp, err := c.http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out []discoveryEntry
		if resp.StatusCode == http.StatusOK {
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		}
		return resp.StatusCode, out
	}
	for _, base := range []string{n.DiscoveryURL(), n.SignerURL() + "/discover-orchestrators"} {
		code, all := get(base)
		require.Equal(t, http.StatusOK, code)
		require.Len(t, all, 2)
		require.Equal(t, n.Orchestrators()[0].URL(), all[0].Address)
		require.Equal(t, float32(1), all[0].Score)
		require.Equal(t, []string{"live-video-to-video/noop"}, all[0].Capabilities)
		_, some := get(base + "?caps=live-video-to-video/other&caps=live-video-to-video/noop")
		require.Len(t, some, 2)
		code, none := get(base + "?caps=live-video-to-video/other")
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, none)
	}
	// A signer with no orchestrators answers 503 with go-livepeer's envelope.
	s, err := newSigner(signerConfig{})
	require.NoError(t, err)
	defer s.Close()
	resp, err := c.http.Get(s.URL() + "/discover-orchestrators")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.JSONEq(t, `{"error":{"message":"Service Unavailable Error"}}`, string(readAll(t, resp.Body)))
}

func TestOrchestratorServesHTTP2(t *testing.T) {
	checkNoLeak(t)
	o, err := newOrchestrator(orchestratorConfig{})
	require.NoError(t, err)
	defer o.Close()
	c := newRawClient(t)
	resp, err := c.http.Post(o.URL()+"/payment", "application/octet-stream", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 2, resp.ProtoMajor)
	require.Equal(t, http.StatusForbidden, resp.StatusCode) // empty payment decodes; empty seg creds fail the sig check
	state := resp.TLS
	require.NotNil(t, state)
	cert := state.PeerCertificates[0]
	require.Equal(t, []string{"localhost"}, cert.DNSNames)
	require.Equal(t, "127.0.0.1", cert.IPAddresses[0].String())
	_ = tls.VersionTLS13
}
