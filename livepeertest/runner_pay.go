package livepeertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// PayerAddressHeader names the payer a client asks a 402 challenge for
// (go-livepeer liveRunnerSenderHeader).
const PayerAddressHeader = "Livepeer-Payer-Address"

// reservePaid is go-livepeer's reservePaidLiveRunnerSession: with neither
// payment header it answers the 402 challenge; otherwise it checks the
// payment, reserves the session under the payment's manifest id, credits
// the tickets (releasing the session if that fails) and either accounts a
// fixed price once or starts the interval charges. It writes every error
// answer itself. cancel, when set, ends the request being served (single-shot)
// if a later charge fails.
func (r *RunnerRegistry) reservePaid(w http.ResponseWriter, req *http.Request, route string, price *RunnerPrice, cancel func()) (string, string, bool) {
	fixed := strings.EqualFold(strings.TrimSpace(price.Unit), "fixed")
	if req.Header.Get(lphttp.HeaderPayment) == "" && req.Header.Get(lphttp.HeaderSegment) == "" {
		r.challenge(w, req, price)
		return "", "", false
	}
	payment, seg, ok := r.paymentHeaders(w, req)
	if !ok {
		return "", "", false
	}
	if string(seg.GetManifestId()) != seg.GetAuthToken().GetSessionId() {
		http.Error(w, "mismatched manifest and auth token", http.StatusForbidden)
		return "", "", false
	}
	var unitsPerSecond int64
	if fixed {
		want, err := price.Price.Int64()
		ep := payment.GetExpectedPrice()
		if err != nil || ep == nil || ep.GetPricePerUnit() != want || ep.GetPixelsPerUnit() != 1 {
			http.Error(w, "payment price does not match live runner price", http.StatusBadRequest)
			return "", "", false
		}
	} else {
		switch strings.ToLower(strings.TrimSpace(price.Unit)) {
		case "seconds":
			unitsPerSecond = 1
		case "720p-pixel-seconds":
			unitsPerSecond = liveBilledPixelsPerSecond
		default:
			http.Error(w, fmt.Sprintf("unsupported live runner payment unit %q", price.Unit), http.StatusInternalServerError)
			return "", "", false
		}
	}
	mid := string(seg.GetManifestId())
	sid, appURL, err := r.reserve(route, mid)
	if err != nil {
		respondRunnerError(w, err)
		return "", "", false
	}
	if err := r.o.creditTickets(payment, mid); err != nil {
		_ = r.release(route, sid)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "", "", false
	}
	sender := paymentSender(payment)
	fee := expectedFee(payment.GetExpectedPrice(), 1)
	if fixed {
		if err := r.o.chargeRunnerSession(sender, mid, fee); err != nil {
			_ = r.release(route, sid)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return "", "", false
		}
		return sid, appURL, true
	}
	// A session released since the reservation gets no monitor; the client
	// learns it at its next call (404), as on go-livepeer.
	r.startMonitor(route, sid, sender, payment.GetExpectedPrice(), unitsPerSecond, cancel)
	return sid, appURL, true
}

// paymentHeaders is go-livepeer's processPaymentAndSegmentHeaders: 402 for
// an undecodable Livepeer-Payment, 403 for bad segment credentials, both as
// plain text.
func (r *RunnerRegistry) paymentHeaders(w http.ResponseWriter, req *http.Request) (*lpnet.Payment, *lpnet.SegData, bool) {
	payment, err := decodePayment(req.Header.Get(lphttp.HeaderPayment))
	if err != nil {
		http.Error(w, err.Error(), http.StatusPaymentRequired)
		return nil, nil, false
	}
	seg, err := r.o.verifySegCreds(req.Header.Get(lphttp.HeaderSegment), paymentSender(payment))
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return nil, nil, false
	}
	return payment, seg, true
}

// challenge is go-livepeer's runnerChallenge: a JSON 402 with a fresh
// OrchestratorInfo priced at the runner's wei price per unit (ticket params
// for the payer, a new manifest id and auth token).
func (r *RunnerRegistry) challenge(w http.ResponseWriter, req *http.Request, price *RunnerPrice) {
	addr := req.Header.Get(PayerAddressHeader)
	if !isHexAddress(addr) {
		writeJSONError(w, http.StatusPaymentRequired, "invalid live runner payment signer address")
		return
	}
	p, err := price.Price.Int64()
	if err != nil || p <= 0 {
		http.Error(w, "invalid live runner price info", http.StatusInternalServerError)
		return
	}
	mid := newManifestID()
	info := r.o.challengeInfo(hexAddress(addr), big.NewRat(p, 1), mid)
	payURL := r.o.URL() + "/apps/" + url.PathEscape(req.PathValue("runner_id")) + "/session/" + url.PathEscape(mid) + "/payment"
	writeChallenge(w, info, payURL)
}

// challengeInfo is the OrchestratorInfo of a live-runner or Scope challenge:
// service URI, ticket params for sender at price, the price itself, the
// orchestrator's address and an auth token for manifestID (a fresh one when
// empty).
func (o *Orchestrator) challengeInfo(sender eth.Address, price *big.Rat, manifestID string) *lpnet.OrchestratorInfo {
	tok := o.newAuthToken()
	if manifestID != "" {
		tok = o.authToken(manifestID, time.Now().Add(time.Duration(o.tokenTTL.Load())).Unix())
	}
	return &lpnet.OrchestratorInfo{
		Transcoder:   o.URL(),
		TicketParams: o.ticketParams(sender, price),
		PriceInfo:    priceInfo(price),
		Address:      o.address.Bytes(),
		AuthToken:    tok,
	}
}

// writeChallenge writes go-livepeer's JSON 402 (marshalLivePaymentChallengeResponse).
func writeChallenge(w http.ResponseWriter, info *lpnet.OrchestratorInfo, paymentURL string) {
	buf, err := proto.Marshal(info)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusPaymentRequired)
	b, _ := json.Marshal(runnerChallenge{
		PaymentParams: base64.StdEncoding.EncodeToString(buf),
		Orchestrator:  info.GetTranscoder(),
		ManifestID:    info.GetAuthToken().GetSessionId(),
		PaymentURL:    paymentURL,
	})
	_, _ = w.Write(b)
}

// handlePayment is POST /apps/{runner_id}/session/{session_id}/payment
// (PaymentForLiveRunnerSession): 409 for a fixed-price session, 403 for a
// payment of another manifest, 400 when the tickets are refused (the
// session stays), else a protobuf PaymentResult with no Content-Type set.
func (r *RunnerRegistry) handlePayment(w http.ResponseWriter, req *http.Request) {
	route, sid := req.PathValue("runner_id"), req.PathValue("session_id")
	r.mu.Lock()
	_, s, err := r.sessionLocked(route, sid)
	var unit string
	if err == nil {
		unit = s.priceInfo.Unit
	}
	r.mu.Unlock()
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	if strings.EqualFold(strings.TrimSpace(unit), "fixed") {
		http.Error(w, "fixed-price live runner sessions do not accept follow-up payments", http.StatusConflict)
		return
	}
	payment, seg, ok := r.paymentHeaders(w, req)
	if !ok {
		return
	}
	if string(seg.GetManifestId()) != sid {
		http.Error(w, "mismatched session and payment manifest", http.StatusForbidden)
		return
	}
	info := r.o.orchestratorInfo(paymentSender(payment), seg.GetCapabilities())
	info.AuthToken = seg.GetAuthToken()
	if err := r.o.creditTickets(payment, sid); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	buf, err := proto.Marshal(&lpnet.PaymentResult{Info: info})
	if err != nil {
		return
	}
	_, _ = w.Write(buf)
}

// expectedFee is go-livepeer's calculateFee: units × price per unit.
func expectedFee(p *lpnet.PriceInfo, units int64) *big.Rat {
	if p == nil || p.GetPixelsPerUnit() == 0 {
		return new(big.Rat)
	}
	fee := big.NewRat(p.GetPricePerUnit(), p.GetPixelsPerUnit())
	return fee.Mul(fee, new(big.Rat).SetInt64(units))
}

// chargeRunnerSession is go-livepeer's livePaymentReceiver.AccountPayment:
// the balance of (sender, manifestID) must cover fee, which is then debited.
func (o *Orchestrator) chargeRunnerSession(sender eth.Address, manifestID string, fee *big.Rat) error {
	if fee.Sign() == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	bal := o.balances[balanceKey{sender, manifestID}]
	if bal == nil || bal.Cmp(fee) < 0 {
		b := "nil"
		if bal != nil {
			b = bal.FloatString(0)
		}
		return fmt.Errorf("insufficient balance, mid=%s, fee=%s, balance=%s", manifestID, fee.FloatString(0), b)
	}
	bal.Sub(bal, fee)
	return nil
}

// startMonitor starts a session's interval charges (go-livepeer's ticker +
// LivePaymentProcessor): every payment interval it bills the whole seconds
// (or 720p30 pixels) elapsed since the last billed instant at the payment's
// price; a charge the balance cannot cover releases the session and calls
// cancel. It returns false if the session is already gone.
func (r *RunnerRegistry) startMonitor(route, sid string, sender eth.Address, price *lpnet.PriceInfo, unitsPerSecond int64, cancel func()) bool {
	ctx, stop := context.WithCancel(r.ctx)
	r.mu.Lock()
	rr, err := r.runnerLocked(route)
	var s *regSession
	if err == nil {
		s = rr.sessions[sid]
	}
	if s == nil {
		r.mu.Unlock()
		stop()
		return false
	}
	s.stop = stop
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer stop()
		interval := r.cfg.PaymentInterval
		t := time.NewTicker(interval)
		defer t.Stop()
		last := time.Now()
		for {
			var now time.Time
			select {
			case <-ctx.Done():
				return
			case now = <-t.C:
			}
			if last.Add(interval).After(now) {
				continue
			}
			units := int64(float64(unitsPerSecond) * now.Sub(last).Seconds())
			err := r.o.chargeRunnerSession(sender, sid, expectedFee(price, units))
			last = last.Add(time.Duration(float64(units) / float64(unitsPerSecond) * float64(time.Second)))
			r.mu.Lock()
			if err == nil && units > 0 && ctx.Err() == nil {
				s.charges++
			}
			r.mu.Unlock()
			if err != nil {
				r.log.Debug("livepeertest: live runner charge failed, releasing session", "session_id", sid, "err", err)
				_ = r.release(route, sid)
				if cancel != nil {
					cancel()
				}
				return
			}
		}
	}()
	return true
}
