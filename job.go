package livepeer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/byoc"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// byocPrepaySeconds is how much compute a job buys when the balance is
// short: go-livepeer's gateway keeps up to 120 s of balance ahead.
const byocPrepaySeconds = 120

// maxTokenBody bounds a /process/token answer.
const maxTokenBody = 1 << 20

// jobCreds are the signed headers of one job, made once and sent to every
// orchestrator tried.
type jobCreds struct {
	header  string      // Livepeer
	eth     string      // Livepeer-Eth-Address
	sender  eth.Address // the job's sender
	payer   eth.Address // the signer's address (zero off-chain)
	onchain bool
}

// acceptedJob is a job an orchestrator accepted (2xx), with what must be
// released when its body is done.
type acceptedJob struct {
	resp   *http.Response
	info   *discovery.Info
	tr     *http.Transport
	cancel context.CancelFunc
	label  string
}

func (a *acceptedJob) release() {
	a.cancel()
	_ = a.resp.Body.Close()
	a.tr.CloseIdleConnections()
}

// encodeInput renders Run/Stream input as a body and its default content type.
func encodeInput(input any) ([]byte, string, error) {
	switch v := input.(type) {
	case nil:
		return []byte("{}"), "application/json", nil
	case []byte:
		return v, "application/octet-stream", nil
	case json.RawMessage:
		return v, "application/json", nil
	case io.Reader:
		b, err := io.ReadAll(v)
		return b, "application/octet-stream", err
	default:
		b, err := json.Marshal(v)
		return b, "application/json", err
	}
}

func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// orchestratorTransport is a fresh transport for one job: orchestrators
// use self-signed certificates (as with go-livepeer's gateway).
func orchestratorTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // orchestrator certificates are self-signed
	// HTTP/1.1: a job is one request, and event streams arrive as many small
	// flushed chunks, which HTTP/2's framing and flow control make ~1.7×
	// slower to read (bench/stream).
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	return tr
}

// signJob builds the Livepeer and Livepeer-Eth-Address headers of a batch
// job (request {"request_id": id}, parameters {}): see signJobRequest.
func (g *Gateway) signJob(ctx context.Context, capability, id string, o *jobOptions) (*jobCreds, error) {
	reqJSON, _ := json.Marshal(map[string]string{"request_id": id})
	job := &byoc.JobRequest{ID: id, Request: string(reqJSON), Parameters: "{}", Capability: capability}
	c, err := g.signJobRequest(ctx, job, o)
	if errors.Is(err, signer.ErrBYOCSigningUnsupported) {
		return nil, fmt.Errorf("livepeer: run %s: sign the job with WithSigningKey instead (priced capabilities need the payer's key): %w", capability, err)
	}
	if err != nil {
		return nil, err
	}
	if c.onchain && o.key == nil && c.sender != c.payer {
		return nil, fmt.Errorf("livepeer: sign BYOC job: the signer signed as %s but pays as %s: %w", c.sender.Hex(), c.payer.Hex(), ErrPaymentFailed)
	}
	return c, nil
}

// jobToken asks info's orchestrator for its BYOC terms (GET /process/token).
func jobToken(ctx context.Context, hc *http.Client, info *discovery.Info, capability string, c *jobCreds) (*byoc.JobToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(info.Transcoder, "/")+"/process/token", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(byoc.HeaderEthAddress, c.eth)
	req.Header.Set(byoc.HeaderCapability, capability)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("livepeer: job token from %s: %w: %w", info.Addr, ErrOrchestratorUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var kind error
		if resp.StatusCode >= 500 {
			kind = ErrOrchestratorUnavailable
		}
		e := lperr.ReadAPIError("process/token", resp, kind)
		e.Orchestrator = info.Addr
		return nil, e
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return nil, fmt.Errorf("livepeer: job token from %s: %w: %w", info.Addr, ErrOrchestratorUnavailable, err)
	}
	return byoc.DecodeJobToken(body)
}

// pay returns the Livepeer-Payment value that brings the (payer,
// capability) balance to 120 s of compute when it is below the 60 s
// go-livepeer requires, or "" when none is needed (free, or enough balance).
func (g *Gateway) pay(ctx context.Context, info *discovery.Info, capability string, tok *byoc.JobToken, c *jobCreds) (string, error) {
	price := tok.PricePerSecond()
	if price.Sign() <= 0 {
		return "", nil
	}
	balance := new(big.Rat).SetInt64(tok.Balance)
	if balance.Cmp(byoc.MinimumBalance(price)) >= 0 {
		return "", nil
	}
	if !c.onchain {
		return "", fmt.Errorf("livepeer: capability %q costs %s wei/s at %s but no remote signer is configured to pay: %w", capability, price.FloatString(3), info.Addr, ErrPaymentFailed)
	}
	if c.sender != c.payer {
		return "", fmt.Errorf("livepeer: capability %q is priced but the job is signed by %s while the signer pays as %s (the orchestrator credits the payer): %w", capability, c.sender.Hex(), c.payer.Hex(), ErrPaymentFailed)
	}
	want := new(big.Rat).Mul(price, big.NewRat(byocPrepaySeconds, 1))
	secs := new(big.Rat).Quo(new(big.Rat).Sub(want, balance), price)
	n := new(big.Int).Quo(new(big.Int).Add(secs.Num(), new(big.Int).Sub(secs.Denom(), big.NewInt(1))), secs.Denom()) // ceil
	seconds := int(n.Int64())
	if seconds < 1 {
		seconds = 1
	}
	tp, err := orchinfo.TicketParamsFromProto(tok.TicketParams)
	if err != nil {
		return "", err
	}
	var tokPrice *discovery.Price
	if tok.Price != nil {
		tokPrice = &discovery.Price{PricePerUnit: tok.Price.GetPricePerUnit(), PixelsPerUnit: tok.Price.GetPixelsPerUnit()}
	}
	binfo, err := payment.BYOCInfo(info, capability, tokPrice, tp)
	if err != nil {
		return "", err
	}
	sess, err := g.NewPaymentSession(binfo, payment.Config{BYOCCapability: capability})
	if err != nil {
		return "", err
	}
	defer sess.Close()
	p, err := sess.NextBYOC(ctx, seconds)
	if err != nil {
		return "", err
	}
	return p.Payment, nil
}

// submitJob selects an orchestrator advertising byoc/<capability> and
// sends the job, failing over only while no orchestrator has accepted it:
// a token or payment failure, no capacity (token or 503), or a connection
// that failed before the request was written. Any other answer is final.
func (g *Gateway) submitJob(ctx context.Context, capability string, input any, o *jobOptions, accept string) (*acceptedJob, error) {
	if g.closed.Load() {
		return nil, ErrClosed
	}
	name := strings.TrimPrefix(capability, "byoc/")
	if name == "" || strings.ContainsAny(name, "/\r\n") {
		return nil, &ConfigError{Field: "capability", Reason: fmt.Sprintf("%q is not a BYOC capability name", capability)}
	}
	body, ct, err := encodeInput(input)
	if err != nil {
		return nil, fmt.Errorf("livepeer: encode input: %w", err)
	}
	if o.contentType != "" {
		ct = o.contentType
	}
	if o.requestID == "" {
		o.requestID = newJobID()
	}
	id := o.requestID
	sel, err := g.Select(ctx, "byoc/"+name)
	if err != nil {
		return nil, err
	}
	creds, err := g.signJob(ctx, name, id, o)
	if err != nil {
		return nil, err
	}
	for {
		info, err := sel.Next(ctx)
		if err != nil {
			return nil, err
		}
		a, retry, err := g.tryJob(ctx, info, name, body, ct, creds, o, accept)
		if err == nil {
			return a, nil
		}
		if !retry || ctx.Err() != nil {
			return nil, err
		}
		g.set.log.DebugContext(ctx, "BYOC job not accepted, trying the next orchestrator", "orchestrator", info.Addr, "err", err)
		sel.Reject(info, err)
	}
}

// tryJob sends the job to one orchestrator. retry reports that the job was
// certainly not accepted there.
func (g *Gateway) tryJob(ctx context.Context, info *discovery.Info, name string, body []byte, ct string, c *jobCreds, o *jobOptions, accept string) (_ *acceptedJob, retry bool, _ error) {
	tr := orchestratorTransport()
	hc := &http.Client{Transport: tr}
	jctx, cancel := context.WithCancel(ctx)
	fail := func(retry bool, err error) (*acceptedJob, bool, error) {
		cancel()
		tr.CloseIdleConnections()
		return nil, retry, err
	}
	tok, err := jobToken(jctx, hc, info, name, c)
	if err != nil {
		return fail(true, err)
	}
	if tok.AvailableCapacity <= 0 {
		return fail(true, fmt.Errorf("livepeer: %s has no capacity for %q", info.Addr, name))
	}
	pay, err := g.pay(jctx, info, name, tok, c)
	if err != nil {
		return fail(!errors.Is(err, ErrInsufficientBalance), err)
	}
	url := strings.TrimRight(info.Transcoder, "/") + "/process/request/" + strings.TrimLeft(o.path, "/")
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(jctx, trace), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fail(false, err)
	}
	for k, vs := range o.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set(byoc.HeaderJob, c.header)
	req.Header.Set(byoc.HeaderCapability, name)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if pay != "" {
		req.Header.Set(byoc.HeaderPayment, pay)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fail(false, fmt.Errorf("livepeer: job %s: %w", name, ctx.Err()))
		}
		return fail(!wrote.Load(), fmt.Errorf("livepeer: job %s at %s: %w: %w", name, info.Addr, ErrOrchestratorUnavailable, err))
	}
	if resp.StatusCode/100 == 2 {
		return &acceptedJob{resp: resp, info: info, tr: tr, cancel: cancel, label: name}, false, nil
	}
	defer resp.Body.Close()
	_, balanced := resp.Header[http.CanonicalHeaderKey(byoc.HeaderBalance)]
	switch {
	case balanced: // the orchestrator ran the job: the worker failed
		je := &JobError{Capability: name, Orchestrator: info.Addr, StatusCode: resp.StatusCode, Balance: parseBalance(resp.Header.Get(byoc.HeaderBalance))}
		je.Body, _ = io.ReadAll(io.LimitReader(resp.Body, lperr.MaxErrorBody))
		je.Message, _ = lperr.MessageFromBody(je.Body)
		return fail(false, je)
	case resp.StatusCode == http.StatusServiceUnavailable:
		e := lperr.ReadAPIError("process/request", resp, ErrOrchestratorUnavailable)
		e.Orchestrator = info.Addr
		return fail(true, e)
	default:
		var kind error
		if resp.StatusCode >= 500 {
			kind = ErrOrchestratorUnavailable
		}
		e := lperr.ReadAPIError("process/request", resp, kind)
		if strings.Contains(e.Message, "Insufficient balance") {
			e.Kind = ErrInsufficientBalance
		}
		e.Orchestrator = info.Addr
		return fail(false, e)
	}
}

// parseBalance reads a balance header or SSE value ("123", "12.500"),
// rounded down to whole wei; nil when absent or malformed.
func parseBalance(s string) *big.Int {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	q, _ := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	return q
}
