package livepeertest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
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

// validateTicketParams is go-livepeer's sender.validateTicketParams without the
// on-chain deposit/reserve checks; expired reports errTicketParamsExpired.
func (s *Signer) validateTicketParams(face, win, expBlock *big.Int, n int) (expired bool, err error) {
	if expBlock.Sign() == 0 {
		return false, errors.New("ticketParams expiration block is 0")
	}
	if new(big.Int).Sub(expBlock, big.NewInt(s.clock.block())).Cmp(big.NewInt(paramsExpiryBuffer)) <= 0 {
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
