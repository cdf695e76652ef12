package livepeertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// POST /generate-live-payment, following go-livepeer's GenerateLivePayment
// (server/remote_signer.go) step by step: decode the request, load or start
// the signed state, refresh when the auth token or ticket params are about
// to expire, count the billable units, check the price ceilings, work out
// the tickets, then commit them against the budget, sign and answer.

// signerRefusal is an answer other than 200: its status and message (and,
// for 480, the orchestrator to refresh).
type signerRefusal struct {
	status  int
	msg     string
	refresh string
}

func (e *signerRefusal) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &signerRefusal{status: http.StatusBadRequest, msg: fmt.Sprintf(format, a...)}
}

// paymentCall is one /generate-live-payment call as it goes through the steps.
type paymentCall struct {
	req        remotePaymentRequest
	info       lpnet.OrchestratorInfo
	caps       *lpnet.Capabilities
	orch       eth.Address
	state      *remotePaymentState
	hasState   bool
	manifestID string
	face, win  *big.Int
	expBlock   *big.Int
	pmSession  string
	nonce      uint32
	now        time.Time
}

func (s *Signer) handleGenerateLivePayment(w http.ResponseWriter, r *http.Request) {
	resp, err := s.generateLivePayment(r)
	var ref *signerRefusal
	switch {
	case errors.As(err, &ref):
		s.countRefusal(ref.status)
		if ref.refresh != "" || ref.status == signer.StatusRefreshSession {
			w.Header().Set(lphttp.HeaderOrchestratorURL, ref.refresh)
		}
		writeJSONError(w, ref.status, ref.msg)
	case err != nil:
		writeJSONError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, resp)
	}
}

func (s *Signer) generateLivePayment(r *http.Request) (*remotePaymentResponse, error) {
	c, err := decodePaymentCall(r.Body)
	if err != nil {
		return nil, err
	}
	if err := s.loadState(c); err != nil {
		return nil, err
	}
	if err := s.checkFresh(c); err != nil {
		return nil, err
	}
	units, err := billableUnits(c)
	if err != nil {
		return nil, err
	}
	initialPrice, err := s.checkPrices(c)
	if err != nil {
		return nil, err
	}
	fee := new(big.Rat).Mul(initialPrice, new(big.Rat).SetInt64(units))
	oldBal := new(big.Rat)
	if c.state.Balance != "" {
		if _, ok := oldBal.SetString(c.state.Balance); !ok {
			oldBal.SetInt64(0)
		}
	}
	n, err := s.ticketsNeeded(c, fee, oldBal, initialPrice)
	if err != nil {
		return nil, err
	}
	resp, err := s.payAndSign(c, r.Header.Get("Signer-Auth-Id"), n, fee, oldBal)
	if err == nil && c.req.Type == "" {
		cost := new(big.Rat).Mul(ticketEV(c.face, c.win), new(big.Rat).SetInt64(int64(n)))
		s.recordBatch(c.manifestID, units, n, cost) // signer_batch.go
	}
	return resp, err
}

// decodePaymentCall reads the request and the orchestrator info it carries.
func decodePaymentCall(body io.Reader) (*paymentCall, error) {
	c := &paymentCall{now: time.Now()}
	if err := json.NewDecoder(body).Decode(&c.req); err != nil {
		return nil, badRequest("%v", err)
	}
	if len(c.req.Orchestrator) == 0 {
		return nil, badRequest("missing orchestrator")
	}
	if err := proto.Unmarshal(c.req.Orchestrator, &c.info); err != nil {
		return nil, badRequest("%v", err)
	}
	if pi := c.info.GetPriceInfo(); pi == nil || pi.PricePerUnit == 0 || pi.PixelsPerUnit == 0 {
		return nil, badRequest("missing or zero priceInfo")
	}
	tp := c.info.GetTicketParams()
	if tp == nil {
		return nil, badRequest("missing ticketParams in OrchestratorInfo")
	}
	if len(c.req.Capabilities) > 0 {
		c.caps = &lpnet.Capabilities{}
		if err := proto.Unmarshal(c.req.Capabilities, c.caps); err != nil {
			return nil, badRequest("%v", err)
		}
	}
	c.orch = eth.BytesToAddress(c.info.Address)
	c.face = new(big.Int).SetBytes(tp.FaceValue)
	c.win = new(big.Int).SetBytes(tp.WinProb)
	c.expBlock = new(big.Int).SetBytes(tp.ExpirationBlock)
	c.pmSession = bytesToHash(tp.RecipientRandHash).Hex()
	return c, nil
}

// loadState verifies and continues the signed state, or starts one.
func (s *Signer) loadState(c *paymentCall) error {
	pi := c.info.GetPriceInfo()
	c.hasState = len(c.req.State.State) != 0 || len(c.req.State.Sig) != 0
	if c.hasState {
		if !verifySig(s.address, c.req.State.State, c.req.State.Sig) {
			return badRequest("invalid sig")
		}
		if err := json.Unmarshal(c.req.State.State, &c.state); err != nil || c.state == nil {
			return badRequest("invalid state")
		}
		switch {
		case c.state.OrchestratorAddress != c.orch:
			return badRequest("orchestratorAddress mismatch")
		case c.state.App != c.req.App:
			return badRequest("app mismatch")
		case c.state.Type != "" && c.state.Type != c.req.Type:
			return badRequest("job type mismatch")
		}
		c.state.Type = c.req.Type
		c.state.SequenceNumber++
	} else {
		c.state = &remotePaymentState{
			StateID: randomID(), OrchestratorAddress: c.orch, App: c.req.App,
			InitialPricePerUnit: pi.PricePerUnit, InitialPixelsPerUnit: pi.PixelsPerUnit, Type: c.req.Type,
		}
	}
	c.manifestID = c.req.ManifestID
	if c.manifestID == "" {
		if c.hasState {
			return badRequest("missing manifestID")
		}
		c.manifestID = randomID()
	}
	c.nonce = c.state.SenderNonce
	if c.state.PMSessionID != c.pmSession {
		c.nonce = 0
	}
	return nil
}

// checkFresh is go-livepeer's shouldRefreshSession: 480 when the auth token
// is in its last 10 % or the ticket params expired.
func (s *Signer) checkFresh(c *paymentCall) error {
	if c.info.AuthToken == nil {
		return badRequest("remote signer could not check whether to refresh session: missing auth token")
	}
	refresh := &signerRefusal{status: signer.StatusRefreshSession, msg: "refresh session for remote signer", refresh: c.info.Transcoder}
	if c.now.After(time.Unix(c.info.AuthToken.Expiration, 0).Add(-authTokenRefreshBuffer)) {
		return refresh
	}
	expired, err := s.validateTicketParams(c.face, c.win, c.expBlock, 1)
	if expired {
		return refresh
	}
	if err != nil {
		return badRequest("remote signer could not check whether to refresh session: %v", err)
	}
	return nil
}

// billableUnits counts what this payment bills: lv2v pixels and live
// seconds since the last payment (60 s and 10 s on the first), one unit
// for fixed, the request's units otherwise.
func billableUnits(c *paymentCall) (int64, error) {
	last := c.state.LastUpdate
	if last.IsZero() {
		last = c.now
	}
	secs := c.now.Sub(last).Seconds()
	units := c.req.InPixels
	switch c.req.Type {
	case "lv2v":
		if secs <= 0 {
			secs = 60
		}
		units = int64(lv2vPixelsPerSecond * secs)
	case "live":
		if secs <= 0 {
			secs = 10
		}
		units = int64(math.Ceil(secs))
	case "fixed":
		units = 1
	case "":
	default:
		return 0, badRequest("invalid job type")
	}
	if units <= 0 {
		return 0, badRequest("missing billable unit or job type")
	}
	return units, nil
}

// checkPrices applies the price ceilings (481) and returns the session's
// initial price, which the fee is billed at.
func (s *Signer) checkPrices(c *paymentCall) (*big.Rat, error) {
	pi := c.info.GetPriceInfo()
	orchPrice := big.NewRat(pi.PricePerUnit, pi.PixelsPerUnit)
	reqMax, err := parseMaxPrice(c.req.MaxPrice, c.req.Type)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	var initialMax *big.Rat
	if c.hasState {
		if c.state.InitialPricePerUnit <= 0 || c.state.InitialPixelsPerUnit <= 0 {
			return nil, badRequest("invalid initial price in state")
		}
		initialMax = big.NewRat(c.state.InitialPricePerUnit, c.state.InitialPixelsPerUnit)
	}
	if msg := checkCeilings(orchPrice, []ceiling{{"configured maximum price", s.maxPrice}, {"request maxPrice", reqMax}, {"initial session price", initialMax}}); msg != "" {
		return nil, &signerRefusal{status: signer.StatusPriceExceeded, msg: msg}
	}
	return big.NewRat(c.state.InitialPricePerUnit, c.state.InitialPixelsPerUnit), nil
}

// ticketsNeeded covers max(fee, one ticket's EV) minus what the
// orchestrator already holds, in whole tickets (482 when none).
func (s *Signer) ticketsNeeded(c *paymentCall, fee, oldBal, initialPrice *big.Rat) (int, error) {
	ev := ticketEV(c.face, c.win)
	minCredit := fee
	if ev.Cmp(minCredit) > 0 {
		minCredit = ev
	}
	n := 0
	if oldBal.Cmp(minCredit) < 0 && ev.Sign() > 0 {
		gap := new(big.Rat).Quo(new(big.Rat).Sub(minCredit, oldBal), ev)
		k := new(big.Int).Quo(gap.Num(), gap.Denom())
		if !gap.IsInt() {
			k.Add(k, big.NewInt(1))
		}
		if !k.IsInt64() || k.Int64() > 100 {
			return 0, badRequest("numTickets %s exceeds maximum of 100", k)
		}
		n = int(k.Int64())
	}
	if n <= 0 {
		return 0, &signerRefusal{status: signer.StatusNoTickets, msg: "no tickets"}
	}
	// genPayment: the price may not have more than doubled since the session began.
	pi := c.info.GetPriceInfo()
	orchPrice := big.NewRat(pi.PricePerUnit, pi.PixelsPerUnit)
	if orchPrice.Cmp(new(big.Rat).Mul(initialPrice, big.NewRat(2, 1))) > 0 {
		return 0, &signerRefusal{status: signer.StatusPriceExceeded, msg: fmt.Sprintf("Orchestrator price has more than doubled, Orchestrator price: %v, Orchestrator initial price: %v", orchPrice.RatString(), initialPrice.RatString())}
	}
	if _, err := s.validateTicketParams(c.face, c.win, c.expBlock, n); err != nil {
		return 0, err // 500
	}
	return n, nil
}

// payAndSign commits n tickets against the budget (483 when it would be
// exceeded), makes them and signs the next state.
func (s *Signer) payAndSign(c *paymentCall, authID string, n int, fee, oldBal *big.Rat) (*remotePaymentResponse, error) {
	cost := new(big.Rat).Mul(ticketEV(c.face, c.win), new(big.Rat).SetInt64(int64(n)))
	if !s.commit(cost) {
		return nil, &signerRefusal{status: signer.StatusInsufficientBalance, msg: "insufficient balance"}
	}
	resp, err := s.buildPayment(&c.info, c.caps, c.manifestID, c.nonce, n)
	if err != nil {
		s.uncommit(cost)
		return nil, err
	}
	st := c.state
	newBal := new(big.Rat).Add(oldBal, cost)
	newBal.Sub(newBal, fee)
	st.Balance = newBal.RatString()
	st.LastUpdate = c.now
	st.PMSessionID = c.pmSession
	st.SenderNonce = c.nonce + uint32(n)
	if authID != "" && st.AuthID != authID {
		if st.AuthID != "" {
			s.uncommit(cost)
			return nil, errors.New("remote signer auth ID changed")
		}
		st.AuthID = authID
	}
	stateBytes, err := json.Marshal(st)
	if err == nil {
		resp.State.State = stateBytes
		resp.State.Sig, err = ethSign(s.key, stateBytes)
	}
	if err != nil {
		s.uncommit(cost)
		return nil, err
	}
	s.log.Debug("livepeertest: signer made payment", "tickets", n, "manifest", c.manifestID, "fee", fee.FloatString(0), "balance", newBal.FloatString(0))
	return resp, nil
}
