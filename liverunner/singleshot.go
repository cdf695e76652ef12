package liverunner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// DefaultMaxBody bounds a request body a single-shot transport buffers to
// send again after a 402 challenge (32 MiB).
const DefaultMaxBody = 32 << 20

// CallConfig tunes single-shot requests. The zero value is valid.
type CallConfig struct {
	// MaxPrice goes to the signer as maxPrice; nil sends none.
	MaxPrice *Price
	// PaymentInterval: a time-priced request whose answer is still being
	// read is paid on this timer at the challenge's payment_url, which go-
	// livepeer serves while the request runs (default
	// DefaultPaymentInterval).
	PaymentInterval time.Duration
	// MaxBody bounds a buffered request body (default DefaultMaxBody).
	MaxBody int64
	// OnWarning, when set, receives the payment warnings of long requests.
	OnWarning func(Warning)
}

// SingleShotTransport is an http.RoundTripper for one single-shot runner:
// a request to {runner.URL}/{path} is sent with Livepeer-Payer-Address
// (on-chain); a 402 challenge is paid through the signer and the request
// sent again with the payment (go-livepeer ProxyLiveRunnerSingleShot: the
// orchestrator reserves a session for that one request). While a
// time-priced answer is read, payments go to the challenge's payment_url
// on a timer, so a long stream outlives its prepaid time. Requests to
// other hosts are refused. Close it to end its connections. Safe for
// concurrent use.
type SingleShotTransport struct {
	c      *Client
	runner Runner
	host   string
	cfg    CallConfig
	tr     *connTransport
}

// SingleShot returns a transport for r (a single-shot runner; a
// persistent runner answers 400 "runner is not single-shot"). A runner URL
// that is not an absolute http(s) URL gives a *livepeer.ConfigError.
func (c *Client) SingleShot(r Runner, cfg CallConfig) (*SingleShotTransport, error) {
	host, err := hostOf(r.URL)
	if err != nil {
		return nil, &lperr.ConfigError{Field: "Runner.URL", Reason: err.Error()}
	}
	if cfg.PaymentInterval <= 0 {
		cfg.PaymentInterval = DefaultPaymentInterval
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	return &SingleShotTransport{c: c, runner: r, host: host, cfg: cfg, tr: newConnTransport(host, c.pins)}, nil
}

// URL returns {runner.URL}/{path}.
func (t *SingleShotTransport) URL(path string) string { return joinPath(t.runner.URL, path) }

// Client returns an *http.Client over the transport (no timeout).
func (t *SingleShotTransport) Client() *http.Client { return &http.Client{Transport: t} }

// Close ends every connection of the transport (requests in flight fail).
func (t *SingleShotTransport) Close() error {
	t.tr.closeAll()
	return nil
}

// RoundTrip sends req, paying when challenged. Errors: a
// *livepeer.ConfigError for another host or a body over MaxBody;
// ErrNotPaid for a challenge the Client cannot pay (off-chain); the
// signer's errors; transport errors. Any other answer, a 402 that is not
// a challenge included, is returned as it is.
func (t *SingleShotTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme+"://"+req.URL.Host != t.host {
		closeBody(req)
		return nil, &lperr.ConfigError{Field: "URL", Reason: fmt.Sprintf("%v is not on the runner's orchestrator %s", req.URL, t.host)}
	}
	body, err := t.buffer(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	payer, err := t.c.payerAddress(ctx)
	if err != nil {
		return nil, err
	}
	send := func(p func(http.Header)) (*http.Response, error) {
		out := req.Clone(ctx)
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
		if payer != "" {
			out.Header.Set(HeaderPayerAddress, payer)
		}
		if p != nil {
			p(out.Header)
		}
		return t.tr.RoundTrip(out)
	}
	resp, err := send(nil)
	for round := 0; err == nil && resp.StatusCode == http.StatusPaymentRequired; round++ {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("liverunner: read the 402 of %s: %w: %w", t.runner.URL, lperr.ErrOrchestratorUnavailable, rerr)
		}
		if !t.c.onchain() {
			msg, _ := lperr.MessageFromBody(b)
			return nil, fmt.Errorf("%w (%s answered 402: %s)", ErrNotPaid, t.runner.URL, msg)
		}
		ch, perr := parseChallenge(b, t.runner.URL)
		if errors.Is(perr, errNoChallenge) {
			resp.Body = io.NopCloser(bytes.NewReader(b))
			return resp, nil
		}
		if perr != nil {
			return nil, perr
		}
		if round+1 >= maxChallenges {
			return nil, fmt.Errorf("liverunner: %s challenged %d payments in a row: %w", t.runner.URL, maxChallenges, lperr.ErrPaymentFailed)
		}
		var pr *paidRequest
		if pr, err = t.pay(ctx, ch); err != nil {
			return nil, err
		}
		resp, err = send(func(h http.Header) { setPaymentHeaders(h, pr.first) })
		if err != nil || resp.StatusCode == http.StatusPaymentRequired {
			pr.close()
			continue
		}
		pr.start(resp)
		return resp, nil
	}
	return resp, err
}

// buffer reads req's body (for sending it again) and closes it.
func (t *SingleShotTransport) buffer(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(io.LimitReader(req.Body, t.cfg.MaxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > t.cfg.MaxBody {
		return nil, &lperr.ConfigError{Field: "MaxBody", Reason: fmt.Sprintf("request body larger than %d bytes", t.cfg.MaxBody)}
	}
	return b, nil
}

// paidRequest is the payment of one single-shot request.
type paidRequest struct {
	first *payment.Payment
	close func()                    // closes the payment session
	start func(resp *http.Response) // starts the payments of a 2xx answer, until its body is closed
}

// pay makes a request's first payment and prepares its payment loop.
func (t *SingleShotTransport) pay(ctx context.Context, ch *challenge) (*paidRequest, error) {
	typ, err := paymentType(t.runner, t.cfg.MaxPrice)
	if err != nil {
		return nil, err
	}
	ctl := &http.Client{Transport: t.tr}
	ps, err := t.c.newPayment(ch, typ, t.cfg.MaxPrice, t.c.refresher(ctl, t.URL(""), nil, ch))
	if err != nil {
		return nil, err
	}
	p, err := ps.Next(ctx)
	if err != nil {
		_ = ps.Close()
		return nil, err
	}
	pr := &paidRequest{first: p}
	pr.close = func() { _ = ps.Close() }
	pr.start = func(resp *http.Response) {
		if typ == signer.TypeFixed || ch.paymentURL == "" || resp.StatusCode/100 != 2 {
			resp.Body = &onClose{ReadCloser: resp.Body, f: pr.close}
			return
		}
		py := &payer{hc: ctl, pay: ps, url: ch.paymentURL, ceiling: ch.info.Price.Rat(), interval: t.cfg.PaymentInterval,
			timeout: t.c.timeout, maxFailures: DefaultMaxFailures, session: ch.manifestID, warn: t.cfg.OnWarning, log: t.c.log}
		lctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = py.run(lctx) })
		resp.Body = &onClose{ReadCloser: resp.Body, f: func() { cancel(); wg.Wait(); pr.close() }}
	}
	return pr, nil
}

// onClose runs f once after the body is closed.
type onClose struct {
	io.ReadCloser
	f    func()
	once sync.Once
}

func (b *onClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.f)
	return err
}

// notReached reports an answer of the orchestrator itself, before the
// request reached the runner's app (so another runner may take it):
// go-livepeer's plain-text refusals and a proxy 502 that failed to dial.
func notReached(status int, body []byte) bool {
	msg := strings.TrimSpace(string(body))
	switch status {
	case http.StatusServiceUnavailable:
		return strings.HasPrefix(msg, "no capacity available for runner") || strings.HasPrefix(msg, "live runner price unavailable")
	case http.StatusNotFound:
		return msg == "runner not found" || msg == "runner session not found" || msg == "live runner proxy not found" || msg == "live runners are not supported"
	case http.StatusBadRequest:
		return msg == "runner is not single-shot" || msg == "only persistent runners have sessions"
	case http.StatusBadGateway:
		return strings.HasPrefix(msg, "dial ")
	}
	return false
}
