package aipipeline_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// aiNet is an in-process network plus what the root wiring will supply:
// an HTTP client that accepts the orchestrators' certificates and a Payer
// that does GetOrchestrator (with the capability and model) and
// /generate-live-payment (type omitted) for every request.
type aiNet struct {
	*livepeertest.Network
	hc    *http.Client
	payer *signerPayer
}

func newAINet(t *testing.T, cfg livepeertest.NetworkConfig) *aiNet {
	t.Helper()
	n, err := startAINet(cfg)
	require.NoError(t, err)
	t.Cleanup(n.close)
	return n
}

// startAINet starts the network; close stops it and the clients.
func startAINet(cfg livepeertest.NetworkConfig) (*aiNet, error) {
	n, err := livepeertest.NewNetwork(cfg)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed orchestrators
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	p := &signerPayer{signerURL: n.SignerURL(), hc: &http.Client{Timeout: time.Minute}, conns: map[string]*lpnet.OrchestratorClient{}}
	return &aiNet{Network: n, hc: hc, payer: p}, nil
}

func (n *aiNet) close() {
	n.payer.close()
	n.hc.CloseIdleConnections()
	n.payer.hc.CloseIdleConnections()
	n.Network.Close()
}

// target returns orchestrator i as a Target with its price for c.
func (n *aiNet) target(i int, c aipipeline.Capability) aipipeline.Target {
	o := n.Orchestrators()[i]
	price, _ := n.AI()[i].Price(c.String())
	return aipipeline.Target{URL: o.URL(), PricePerUnit: price}
}

func mustCap(t *testing.T, s string) aipipeline.Capability {
	t.Helper()
	c, err := aipipeline.ParseCapability(s)
	require.NoError(t, err)
	return c
}

// signerPayer pays through the in-process remote signer, with fresh
// orchestrator info (so fresh ticket params, and no signer state) for every
// payment: the way batch AI must use a go-livepeer remote signer.
type signerPayer struct {
	signerURL string
	hc        *http.Client

	mu        sync.Mutex
	conns     map[string]*lpnet.OrchestratorClient
	rpc       *http.Client // HTTP/2 over TLS for the orchestrators' gRPC
	addr, sig []byte
	// afterPay, when set, runs after each payment is made (fault injection).
	afterPay func()
	// replay, when set, makes the next payment reuse the previous one.
	replay bool
	last   aipipeline.Payment
	calls  int
}

func (p *signerPayer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rpc != nil {
		p.rpc.CloseIdleConnections()
	}
}

func (p *signerPayer) PayAI(ctx context.Context, orchURL string, c aipipeline.Capability, units int64) (aipipeline.Payment, error) {
	p.mu.Lock()
	p.calls++
	if p.replay {
		p.replay = false
		last := p.last
		p.mu.Unlock()
		return last, nil
	}
	p.mu.Unlock()
	caps := aiCaps(c)
	info, err := p.getOrchestrator(ctx, orchURL, caps)
	if err != nil {
		return aipipeline.Payment{}, err
	}
	infoB, _ := proto.Marshal(info)
	capsB, _ := proto.Marshal(caps)
	body, _ := json.Marshal(map[string]any{
		"orchestrator": infoB, "ManifestID": c.ManifestID(), "inPixels": units, "capabilities": capsB,
	})
	var out struct {
		Payment  string `json:"payment"`
		SegCreds string `json:"segCreds"`
	}
	if err := p.post(ctx, "/generate-live-payment", body, &out); err != nil {
		return aipipeline.Payment{}, err
	}
	pay := aipipeline.Payment{Payment: out.Payment, Segment: out.SegCreds}
	p.mu.Lock()
	p.last = pay
	hook := p.afterPay
	p.mu.Unlock()
	if hook != nil {
		hook()
	}
	return pay, nil
}

// aiCaps is go-livepeer's newAICapabilities (server/ai_session.go:288-306):
// the capability's bit with capacity 1 and the model as a constraint.
func aiCaps(c aipipeline.Capability) *lpnet.Capabilities {
	id := c.ID()
	words := make([]uint64, id/64+1)
	words[id/64] |= 1 << (id % 64)
	return &lpnet.Capabilities{
		Bitstring:  words,
		Capacities: map[uint32]uint32{id: 1},
		Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{
			id: {Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{c.Model: {}}},
		}},
	}
}

func (p *signerPayer) post(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.signerURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &signerError{status: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	return json.Unmarshal(b, out)
}

type signerError struct {
	status int
	body   string
}

func (e *signerError) Error() string { return fmt.Sprintf("signer %d: %s", e.status, e.body) }

func (p *signerPayer) getOrchestrator(ctx context.Context, orchURL string, caps *lpnet.Capabilities) (*lpnet.OrchestratorInfo, error) {
	u, err := url.Parse(orchURL)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.addr == nil {
		p.mu.Unlock()
		var s struct{ Address, Signature string }
		if err := p.post(ctx, "/sign-orchestrator-info", []byte("{}"), &s); err != nil {
			return nil, err
		}
		addr, err1 := hex.DecodeString(strings.TrimPrefix(s.Address, "0x"))
		sig, err2 := hex.DecodeString(strings.TrimPrefix(s.Signature, "0x"))
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.addr, p.sig = addr, sig
	}
	conn := p.conns[u.Host]
	if conn == nil {
		if p.rpc == nil {
			tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed orchestrators
			tr.Protocols = new(http.Protocols)
			tr.Protocols.SetHTTP2(true)
			p.rpc = &http.Client{Transport: tr}
		}
		conn = lpnet.NewOrchestratorClient(p.rpc, "https://"+u.Host, "aipipeline-test")
		p.conns[u.Host] = conn
	}
	addr, sig := p.addr, p.sig
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.GetOrchestrator(ctx, &lpnet.OrchestratorRequest{Address: addr, Sig: sig, Capabilities: caps})
}

// ticketEV is the default orchestrator's ticket EV as a Rat.
func ticketEV() *big.Rat { return new(big.Rat).SetInt(livepeertest.DefaultTicketEV) }
