package livepeertest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// authTokenRefreshBuffer: the signer asks for a refresh in the last 10 % of
// go-livepeer's fixed 30-minute token validity (server/broadcast.go).
const authTokenRefreshBuffer = 3 * time.Minute

// lv2vPixelsPerSecond is go-livepeer's defaultSegInfo: 1280×720 at 30 fps.
const lv2vPixelsPerSecond = 1280 * 720 * 30

// remotePaymentState mirrors go-livepeer's RemotePaymentState field for field
// (no json tags, so the keys are the Go names).
type remotePaymentState struct {
	StateID              string
	PMSessionID          string
	LastUpdate           time.Time
	OrchestratorAddress  eth.Address
	App                  string
	AuthExpiry           int64
	SenderNonce          uint32
	Balance              string
	InitialPricePerUnit  int64
	InitialPixelsPerUnit int64
	Type                 string
	SequenceNumber       uint64
	AuthID               string
}

type remotePaymentStateSig struct {
	State []byte
	Sig   []byte
}

type remotePriceInfo struct {
	Price    json.Number `json:"price"`
	Currency string      `json:"currency,omitempty"`
	Unit     string      `json:"unit,omitempty"`
}

// remotePaymentRequest mirrors go-livepeer's RemotePaymentRequest.
type remotePaymentRequest struct {
	State        remotePaymentStateSig `json:"state,omitempty"`
	Orchestrator []byte                `json:"orchestrator"`
	ManifestID   string
	App          string           `json:"app,omitempty"`
	InPixels     int64            `json:"inPixels"`
	Type         string           `json:"type"`
	MaxPrice     *remotePriceInfo `json:"maxPrice,omitempty"`
	Capabilities []byte           `json:"capabilities"`
}

type remotePaymentResponse struct {
	Payment  string                `json:"payment"`
	SegCreds string                `json:"segCreds,omitempty"`
	State    remotePaymentStateSig `json:"state"`
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// handleGenerateLivePayment follows go-livepeer's GenerateLivePayment step by step.
func (s *Signer) handleGenerateLivePayment(w http.ResponseWriter, r *http.Request) {
	bad := func(msg string) { writeJSONError(w, http.StatusBadRequest, msg) }
	var req remotePaymentRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		bad(err.Error())
		return
	}
	if len(req.Orchestrator) == 0 {
		bad("missing orchestrator")
		return
	}
	var info lpnet.OrchestratorInfo
	if err := proto.Unmarshal(req.Orchestrator, &info); err != nil {
		bad(err.Error())
		return
	}
	pi := info.GetPriceInfo()
	if pi == nil || pi.PricePerUnit == 0 || pi.PixelsPerUnit == 0 {
		bad("missing or zero priceInfo")
		return
	}
	tp := info.GetTicketParams()
	if tp == nil {
		bad("missing ticketParams in OrchestratorInfo")
		return
	}
	orchAddr := eth.BytesToAddress(info.Address)

	var state *remotePaymentState
	hasState := len(req.State.State) != 0 || len(req.State.Sig) != 0
	if hasState {
		if !verifySig(s.address, req.State.State, req.State.Sig) {
			bad("invalid sig")
			return
		}
		if err := json.Unmarshal(req.State.State, &state); err != nil || state == nil {
			bad("invalid state")
			return
		}
		switch {
		case state.OrchestratorAddress != orchAddr:
			bad("orchestratorAddress mismatch")
			return
		case state.App != req.App:
			bad("app mismatch")
			return
		case state.Type != "" && state.Type != req.Type:
			bad("job type mismatch")
			return
		}
		state.Type = req.Type
		state.SequenceNumber++
	} else {
		state = &remotePaymentState{
			StateID: randomID(), OrchestratorAddress: orchAddr, App: req.App,
			InitialPricePerUnit: pi.PricePerUnit, InitialPixelsPerUnit: pi.PixelsPerUnit, Type: req.Type,
		}
	}
	manifestID := req.ManifestID
	if manifestID == "" {
		if hasState {
			bad("missing manifestID")
			return
		}
		manifestID = randomID()
	}
	var caps *lpnet.Capabilities
	if len(req.Capabilities) > 0 {
		caps = &lpnet.Capabilities{}
		if err := proto.Unmarshal(req.Capabilities, caps); err != nil {
			bad(err.Error())
			return
		}
	}

	face := new(big.Int).SetBytes(tp.FaceValue)
	win := new(big.Int).SetBytes(tp.WinProb)
	expBlock := new(big.Int).SetBytes(tp.ExpirationBlock)
	randHash := bytesToHash(tp.RecipientRandHash)
	pmSession := randHash.Hex()
	nonce := state.SenderNonce
	if state.PMSessionID != pmSession {
		nonce = 0
	}

	// shouldRefreshSession
	if info.AuthToken == nil {
		bad("remote signer could not check whether to refresh session: missing auth token")
		return
	}
	if time.Now().After(time.Unix(info.AuthToken.Expiration, 0).Add(-authTokenRefreshBuffer)) {
		s.refresh(w, info.Transcoder)
		return
	}
	expired, err := s.validateTicketParams(face, win, expBlock, 1)
	if expired {
		s.refresh(w, info.Transcoder)
		return
	}
	if err != nil {
		bad("remote signer could not check whether to refresh session: " + err.Error())
		return
	}

	// Billable units.
	now := time.Now()
	last := state.LastUpdate
	if last.IsZero() {
		last = now
	}
	secs := now.Sub(last).Seconds()
	units := req.InPixels
	switch req.Type {
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
		bad("invalid job type")
		return
	}
	if units <= 0 {
		bad("missing billable unit or job type")
		return
	}

	// Price ceilings.
	orchPrice := big.NewRat(pi.PricePerUnit, pi.PixelsPerUnit)
	reqMax, err := parseMaxPrice(req.MaxPrice, req.Type)
	if err != nil {
		bad(err.Error())
		return
	}
	var initialMax *big.Rat
	if hasState {
		if state.InitialPricePerUnit <= 0 || state.InitialPixelsPerUnit <= 0 {
			bad("invalid initial price in state")
			return
		}
		initialMax = big.NewRat(state.InitialPricePerUnit, state.InitialPixelsPerUnit)
	}
	if msg := checkCeilings(orchPrice, []ceiling{{"configured maximum price", s.maxPrice}, {"request maxPrice", reqMax}, {"initial session price", initialMax}}); msg != "" {
		writeJSONError(w, signer.StatusPriceExceeded, msg)
		return
	}
	initialPrice := big.NewRat(state.InitialPricePerUnit, state.InitialPixelsPerUnit)
	fee := new(big.Rat).Mul(initialPrice, new(big.Rat).SetInt64(units))

	// Tickets: cover max(fee, EV) minus what the orchestrator already holds.
	ev := ticketEV(face, win)
	oldBal := new(big.Rat)
	if state.Balance != "" {
		if _, ok := oldBal.SetString(state.Balance); !ok {
			oldBal.SetInt64(0)
		}
	}
	minCredit := fee
	if ev.Cmp(minCredit) > 0 {
		minCredit = ev
	}
	numTickets := 0
	if oldBal.Cmp(minCredit) < 0 && ev.Sign() > 0 {
		gap := new(big.Rat).Quo(new(big.Rat).Sub(minCredit, oldBal), ev)
		n := new(big.Int).Quo(gap.Num(), gap.Denom())
		if !gap.IsInt() {
			n.Add(n, big.NewInt(1))
		}
		if !n.IsInt64() || n.Int64() > 100 {
			bad(fmt.Sprintf("numTickets %s exceeds maximum of 100", n))
			return
		}
		numTickets = int(n.Int64())
	}
	if numTickets <= 0 {
		writeJSONError(w, signer.StatusNoTickets, "no tickets")
		return
	}
	if numTickets > 100 {
		bad(fmt.Sprintf("numTickets %d exceeds maximum of 100", numTickets))
		return
	}
	// genPayment: price may not have more than doubled since the session began.
	if orchPrice.Cmp(new(big.Rat).Mul(initialPrice, big.NewRat(2, 1))) > 0 {
		writeJSONError(w, signer.StatusPriceExceeded, fmt.Sprintf("Orchestrator price has more than doubled, Orchestrator price: %v, Orchestrator initial price: %v", orchPrice.RatString(), initialPrice.RatString()))
		return
	}
	if _, err := s.validateTicketParams(face, win, expBlock, numTickets); err != nil {
		writeJSONError(w, http.StatusInternalServerError, err.Error())
		return
	}

	// Metering: commit numTickets × EV against the budget.
	cost := new(big.Rat).Mul(ev, new(big.Rat).SetInt64(int64(numTickets)))
	if !s.commit(cost) {
		writeJSONError(w, signer.StatusInsufficientBalance, "insufficient balance")
		return
	}
	resp, err := s.buildPayment(&info, caps, manifestID, nonce, numTickets)
	if err != nil {
		s.uncommit(cost)
		writeJSONError(w, http.StatusInternalServerError, err.Error())
		return
	}

	newBal := new(big.Rat).Add(oldBal, cost)
	newBal.Sub(newBal, fee)
	state.Balance = newBal.RatString()
	state.LastUpdate = now
	state.PMSessionID = pmSession
	state.SenderNonce = nonce + uint32(numTickets)
	if authID := r.Header.Get("Signer-Auth-Id"); authID != "" && state.AuthID != authID {
		if state.AuthID != "" {
			s.uncommit(cost)
			writeJSONError(w, http.StatusInternalServerError, "remote signer auth ID changed")
			return
		}
		state.AuthID = authID
	}
	stateBytes, err := json.Marshal(state)
	if err == nil {
		resp.State.State = stateBytes
		resp.State.Sig, err = ethSign(s.key, stateBytes)
	}
	if err != nil {
		s.uncommit(cost)
		writeJSONError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.log.Debug("livepeertest: signer made payment", "tickets", numTickets, "manifest", manifestID, "fee", fee.FloatString(0), "balance", newBal.FloatString(0))
	writeJSON(w, resp)
}

func (s *Signer) refresh(w http.ResponseWriter, transcoder string) {
	w.Header().Set(lphttp.HeaderOrchestratorURL, transcoder)
	writeJSONError(w, signer.StatusRefreshSession, "refresh session for remote signer")
}

// validateTicketParams is go-livepeer's sender.validateTicketParams without the
// on-chain deposit/reserve checks; expired reports ErrTicketParamsExpired.
func (s *Signer) validateTicketParams(face, win, expBlock *big.Int, n int) (expired bool, err error) {
	if expBlock.Sign() == 0 {
		return false, errors.New("ticketParams expiration block is 0")
	}
	if new(big.Int).Sub(expBlock, big.NewInt(s.clock.Block())).Cmp(big.NewInt(paramsExpiryBuffer)) <= 0 {
		return true, nil
	}
	ev := ticketEV(face, win)
	if ev.Sign() <= 0 {
		return false, nil
	}
	if ev.Cmp(new(big.Rat).SetInt(face)) >= 0 {
		return false, fmt.Errorf("ticket faceValue too low faceValue=%v", face)
	}
	if ev.Cmp(s.maxEV) > 0 {
		return false, fmt.Errorf("ticket EV %v > max ticket EV %v", ev.FloatString(5), s.maxEV.FloatString(5))
	}
	total := new(big.Rat).Mul(ev, new(big.Rat).SetInt64(int64(n)))
	if total.Cmp(s.maxTotalEV) > 0 {
		return false, fmt.Errorf("total ticket EV %v for %v tickets > max total ticket EV %v", total.FloatString(5), n, s.maxTotalEV.FloatString(5))
	}
	return false, nil
}

func (s *Signer) commit(cost *big.Rat) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := new(big.Rat).Add(s.spent, cost)
	if s.budget != nil && next.Cmp(new(big.Rat).SetInt(s.budget)) > 0 {
		return false
	}
	s.spent = next
	return true
}

func (s *Signer) uncommit(cost *big.Rat) {
	s.mu.Lock()
	s.spent = new(big.Rat).Sub(s.spent, cost)
	s.mu.Unlock()
}

// buildPayment makes the net.Payment (tickets nonce+1…nonce+n signed over the
// ticket hash) and the seg creds (an empty segment signed like go-livepeer's
// genSegCreds) for info.
func (s *Signer) buildPayment(info *lpnet.OrchestratorInfo, caps *lpnet.Capabilities, manifestID string, nonce uint32, n int) (*remotePaymentResponse, error) {
	tp := info.TicketParams
	round := tp.GetExpirationParams().GetCreationRound()
	blockHash := bytesToHash(tp.GetExpirationParams().GetCreationRoundBlockHash())
	if round == 0 || blockHash == (hash32{}) {
		round, blockHash = creationRound, creationRoundBlockHash
	}
	t := ticket{
		Recipient: eth.BytesToAddress(tp.Recipient), Sender: s.address,
		FaceValue: new(big.Int).SetBytes(tp.FaceValue), WinProb: new(big.Int).SetBytes(tp.WinProb),
		RecipientRandHash: bytesToHash(tp.RecipientRandHash), CreationRound: round, CreationRoundBlockHash: blockHash,
	}
	p := &lpnet.Payment{
		Sender:        s.address.Bytes(),
		ExpectedPrice: info.PriceInfo,
		TicketParams: &lpnet.TicketParams{
			Recipient: tp.Recipient, FaceValue: tp.FaceValue, WinProb: tp.WinProb,
			RecipientRandHash: tp.RecipientRandHash, Seed: tp.Seed, ExpirationBlock: tp.ExpirationBlock,
		},
		ExpirationParams: &lpnet.TicketExpirationParams{CreationRound: round, CreationRoundBlockHash: blockHash.Bytes()},
	}
	for i := 1; i <= n; i++ {
		t.SenderNonce = nonce + uint32(i)
		sig, err := ethSign(s.key, t.hash())
		if err != nil {
			return nil, err
		}
		p.TicketSenderParams = append(p.TicketSenderParams, &lpnet.TicketSenderParams{SenderNonce: t.SenderNonce, Sig: sig})
	}
	pb, err := proto.Marshal(p)
	if err != nil {
		return nil, err
	}
	segSig, err := ethSign(s.key, ethsig.Keccak256(segFlatten([]byte(manifestID), 0, emptySegmentHash)))
	if err != nil {
		return nil, err
	}
	seg := &lpnet.SegData{
		ManifestId:   []byte(manifestID),
		Hash:         emptySegmentHash,
		Profiles:     []byte("invalid"),
		Sig:          segSig,
		Capabilities: caps,
		AuthToken:    info.AuthToken,
	}
	sb, err := proto.Marshal(seg)
	if err != nil {
		return nil, err
	}
	return &remotePaymentResponse{
		Payment:  base64.StdEncoding.EncodeToString(pb),
		SegCreds: base64.StdEncoding.EncodeToString(sb),
	}, nil
}

type ceiling struct {
	source string
	price  *big.Rat
}

// checkCeilings returns go-livepeer's 481 message when orchPrice exceeds the lowest ceiling.
func checkCeilings(orchPrice *big.Rat, cs []ceiling) string {
	var eff ceiling
	for _, c := range cs {
		if c.price != nil && (eff.price == nil || c.price.Cmp(eff.price) < 0) {
			eff = c
		}
	}
	if eff.price != nil && orchPrice.Cmp(eff.price) > 0 {
		return fmt.Sprintf("orchestrator price %v exceeds %s ceiling %v", orchPrice.FloatString(3), eff.source, eff.price.FloatString(3))
	}
	return ""
}

// parseMaxPrice is go-livepeer's parseRemotePaymentMaxPrice.
func parseMaxPrice(m *remotePriceInfo, typ string) (*big.Rat, error) {
	if m == nil {
		return nil, nil
	}
	price, ok := new(big.Rat).SetString(strings.TrimSpace(m.Price.String()))
	if !ok || price.Sign() <= 0 {
		return nil, errors.New("maxPrice.price must be a positive decimal")
	}
	if strings.ToLower(strings.TrimSpace(m.Currency)) != "wei" {
		return nil, errors.New("maxPrice.currency must be wei")
	}
	want := map[string]string{"live": "seconds", "lv2v": "720p-pixel-seconds", "fixed": "fixed"}[typ]
	if want == "" {
		return nil, errors.New("maxPrice requires payment type live, lv2v, or fixed")
	}
	if unit := strings.ToLower(strings.TrimSpace(m.Unit)); unit != want {
		return nil, fmt.Errorf("maxPrice.unit must be %s for payment type %s", want, typ)
	}
	return price, nil
}
