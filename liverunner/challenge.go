package liverunner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
	"github.com/livepeer/livepeer-go-gateway/payment"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// HeaderPayerAddress names the payer a 402 challenge is made for
// (go-livepeer liveRunnerSenderHeader): the address the remote signer
// signs for.
const HeaderPayerAddress = "Livepeer-Payer-Address"

// challenge is a decoded 402 payment challenge (go-livepeer
// runnerChallenge / scopePaymentChallenge).
type challenge struct {
	info       *discovery.Info // payment_params: price per unit, ticket params, auth token
	manifestID string          // the session id a payment makes
	paymentURL string
}

// errNoChallenge marks a 402 whose body is not a challenge ({"error":
// ...}: an undecodable payment or a bad payer address).
var errNoChallenge = errors.New("liverunner: 402 without a payment challenge")

// parseChallenge decodes a 402 body; addr names the orchestrator in the
// decoded info.
func parseChallenge(body []byte, addr string) (*challenge, error) {
	var w challengeWire
	if json.Unmarshal(body, &w) != nil || w.PaymentParams == "" {
		return nil, errNoChallenge
	}
	raw, err := base64.StdEncoding.DecodeString(w.PaymentParams)
	if err != nil {
		return nil, fmt.Errorf("liverunner: challenge payment_params is not base64: %w: %w", lperr.ErrPaymentFailed, err)
	}
	info, err := discovery.DecodeInfo(addr, raw)
	if err != nil {
		return nil, fmt.Errorf("liverunner: challenge payment_params: %w: %w", lperr.ErrPaymentFailed, err)
	}
	if info.Price == nil || info.TicketParams == nil {
		return nil, fmt.Errorf("liverunner: challenge carries no price or ticket parameters: %w", lperr.ErrPaymentFailed)
	}
	mid := w.ManifestID
	if mid == "" {
		return nil, fmt.Errorf("liverunner: challenge has no manifest_id: %w", lperr.ErrPaymentFailed)
	}
	return &challenge{info: info, manifestID: mid, paymentURL: w.PaymentURL}, nil
}

// paymentType returns the signer payment type for a runner: from its
// discovery price unit, else the ceiling's unit, else "live" (seconds).
func paymentType(r Runner, ceiling *Price) (string, error) {
	switch {
	case r.Price != nil:
		return r.Price.PaymentType()
	case ceiling != nil:
		return ceiling.PaymentType()
	}
	return signer.TypeLive, nil
}

// newPayment opens the payment session a challenge asks for: typ by the
// runner's unit, the challenge's manifest id, the ceiling as maxPrice,
// refresh for the signer's 480.
func (c *Client) newPayment(ch *challenge, typ string, ceiling *Price, refresh payment.RefreshFunc) (*payment.Session, error) {
	cfg := payment.Config{Signer: c.signer, Info: ch.info, Type: typ, ManifestID: ch.manifestID, Refresh: refresh, Logger: c.log}
	if ceiling != nil {
		cfg.MaxPrice = ceiling.MaxPrice()
	}
	return payment.NewSession(cfg)
}

// answer is an HTTP answer read whole (status, headers, body).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and reads the whole answer (at most maxAnswer).
func do(hc Doer, req *http.Request) (*answer, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAnswer {
		return nil, fmt.Errorf("answer larger than %d bytes", maxAnswer)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// orchestratorError classifies a non-2xx answer of the orchestrator (or
// its runner) to op the way every verb does (lperr.ClassifyOrchestrator),
// with a 404 (unknown, unhealthy or draining runner; released session) as
// ErrOrchestratorUnavailable.
func orchestratorError(op, target string, a *answer) *lperr.APIError {
	msg, code := lperr.MessageFromBody(a.body)
	e := &lperr.APIError{Op: op, URL: target, StatusCode: a.status, Message: msg, Code: code, Orchestrator: target}
	if len(a.body) > lperr.MaxErrorBody {
		e.Body = a.body[:lperr.MaxErrorBody]
	} else {
		e.Body = a.body
	}
	e.Kind = lperr.ClassifyOrchestrator(a.status, msg)
	if e.Kind == nil && a.status == http.StatusNotFound {
		e.Kind = lperr.ErrOrchestratorUnavailable
	}
	return e
}

// paymentResultInfo decodes the answer of a session payment: go-livepeer
// master's protobuf PaymentResult (no Content-Type), or the JSON challenge
// shape of go-livepeer PR #4029 ({"payment_params": ...}). It returns nil
// when the body carries no info.
func paymentResultInfo(body []byte, addr string, current *discovery.Info) *discovery.Info {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return nil
	}
	if t[0] == '{' && json.Valid(t) {
		ch, err := parseChallenge(t, addr)
		if err != nil {
			return nil
		}
		return mergeInfo(ch.info, current)
	}
	info, err := decodePaymentResult(t, addr)
	if err != nil || info == nil {
		return nil
	}
	return mergeInfo(info, current)
}

// mergeInfo keeps current's auth token and transcoder where next has none
// (an orchestrator may leave them out of a payment answer); next's price
// and ticket parameters are taken as they are (they are bound together).
func mergeInfo(next, current *discovery.Info) *discovery.Info {
	if current == nil {
		return next
	}
	pb, err := orchinfo.Proto(next)
	if err != nil {
		return nil
	}
	cur, err := orchinfo.Proto(current)
	if err != nil {
		return nil
	}
	if pb.GetAuthToken() == nil {
		pb.AuthToken = cur.GetAuthToken()
	}
	if pb.GetTranscoder() == "" {
		pb.Transcoder = cur.GetTranscoder()
	}
	out, err := orchinfo.FromProto(current.Addr, pb)
	if err != nil {
		return nil
	}
	return out
}

// withAuthToken returns fresh's price and ticket parameters with
// current's auth token (a session keeps its manifest's token when a new
// challenge refreshes its terms).
func withAuthToken(fresh, current *discovery.Info) (*discovery.Info, error) {
	pb, err := orchinfo.Proto(fresh)
	if err != nil {
		return nil, err
	}
	cur, err := orchinfo.Proto(current)
	if err != nil {
		return nil, err
	}
	pb.AuthToken = cur.GetAuthToken()
	return orchinfo.FromProto(current.Addr, pb)
}

// notAbove reports whether info's price per unit is at most ceiling (a
// payment answer's terms are adopted only then: master's PaymentResult
// quotes the orchestrator's own price for the session's capabilities, and
// the signer refuses a price above a session's initial one).
func notAbove(info *discovery.Info, ceiling *big.Rat) bool {
	if info == nil || info.Price == nil || info.TicketParams == nil {
		return false
	}
	return ceiling == nil || info.Price.Rat().Cmp(ceiling) <= 0
}

// setPaymentHeaders puts p's headers on h (Livepeer-Segment even when
// empty is not sent).
func setPaymentHeaders(h http.Header, p *payment.Payment) {
	h.Set(lphttp.HeaderPayment, p.Payment)
	if p.SegCreds != "" {
		h.Set(lphttp.HeaderSegment, p.SegCreds)
	}
}

// signerStops reports a signer error after which trying another runner
// will not help: out of credit, or no signer reachable.
func signerStops(err error) bool {
	var ae *lperr.APIError
	if errors.As(err, &ae) && ae.Orchestrator != "" {
		return false // the orchestrator's answer, not the signer's
	}
	return errors.Is(err, lperr.ErrInsufficientBalance) || errors.Is(err, lperr.ErrSignerUnavailable)
}

// decodePaymentResult decodes a protobuf PaymentResult (go-livepeer
// net.PaymentResult) and returns its info, nil when it has none.
func decodePaymentResult(b []byte, addr string) (*discovery.Info, error) {
	var pr lpnet.PaymentResult
	if err := proto.Unmarshal(b, &pr); err != nil {
		return nil, err
	}
	if pr.GetInfo() == nil {
		return nil, nil
	}
	return orchinfo.FromProto(addr, pr.GetInfo())
}
