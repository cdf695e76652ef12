package livepeertest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// paymentError is a payment rejected by processPaymentFor or ProcessTickets.
// StatusCode is what go-livepeer answers: 402 for an undecodable
// Livepeer-Payment, 403 for bad Livepeer-Segment credentials, 400 for ticket errors.
type paymentError struct {
	StatusCode int
	Err        error
}

func (e *paymentError) Error() string { return e.Err.Error() }
func (e *paymentError) Unwrap() error { return e.Err }

// errTicketParamsExpired is the ticket error for params whose expiration block has passed.
var errTicketParamsExpired = errors.New("TicketParams expired")

// handlePayment is go-livepeer's POST /payment.
func (o *Orchestrator) handlePayment(w http.ResponseWriter, r *http.Request) {
	_, seg, err := o.processPayment(r, "")
	if err != nil {
		var pe *paymentError
		if errors.As(err, &pe) {
			http.Error(w, pe.Error(), pe.StatusCode)
			return
		}
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	payment, _ := decodePayment(r.Header.Get(lphttp.HeaderPayment))
	info := o.orchestratorInfo(paymentSender(payment), seg.GetCapabilities())
	// go-livepeer keeps the token the client has: new ones only come from GetOrchestrator.
	info.AuthToken = seg.GetAuthToken()
	buf, err := proto.Marshal(&lpnet.PaymentResult{Info: info})
	if err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(buf)
}

// processPaymentFor does what go-livepeer does with the Livepeer-Payment and
// Livepeer-Segment headers of r: decode the payment (402 on failure), verify
// the segment credentials (signature unless offchain, capabilities, auth token
// issued by this orchestrator and unexpired; 403), then validate each ticket
// and credit its EV to (sender, manifestID) (400 on a ticket error). An empty
// manifestID means the one in the segment credentials. Errors are *paymentError.
func (o *Orchestrator) processPaymentFor(r *http.Request, manifestID string) (eth.Address, error) {
	sender, _, err := o.processPayment(r, manifestID)
	return sender, err
}

func (o *Orchestrator) processPayment(r *http.Request, manifestID string) (eth.Address, *lpnet.SegData, error) {
	payment, err := decodePayment(r.Header.Get(lphttp.HeaderPayment))
	if err != nil {
		return eth.Address{}, nil, &paymentError{StatusCode: http.StatusPaymentRequired, Err: err}
	}
	sender := paymentSender(payment)
	seg, err := o.verifySegCreds(r.Header.Get(lphttp.HeaderSegment), sender)
	if err != nil {
		return sender, nil, &paymentError{StatusCode: http.StatusForbidden, Err: err}
	}
	if manifestID == "" {
		manifestID = string(seg.GetManifestId())
	}
	if err := o.creditTickets(payment, manifestID); err != nil {
		return sender, seg, &paymentError{StatusCode: http.StatusBadRequest, Err: err}
	}
	return sender, seg, nil
}

// ProcessTickets decodes a Livepeer-Payment header value and credits its
// tickets to (sender, manifestID) without segment credentials, as go-livepeer's
// BYOC routes do (manifestID is then the capability name). Errors are
// *paymentError (402 undecodable, 400 ticket errors).
func (o *Orchestrator) ProcessTickets(paymentHeader, manifestID string) (eth.Address, error) {
	payment, err := decodePayment(paymentHeader)
	if err != nil {
		return eth.Address{}, &paymentError{StatusCode: http.StatusPaymentRequired, Err: err}
	}
	if err := o.creditTickets(payment, manifestID); err != nil {
		return paymentSender(payment), &paymentError{StatusCode: http.StatusBadRequest, Err: err}
	}
	return paymentSender(payment), nil
}

func decodePayment(h string) (*lpnet.Payment, error) {
	buf, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("base64 decode error: %w", err)
	}
	var p lpnet.Payment
	if err := proto.Unmarshal(buf, &p); err != nil {
		return nil, fmt.Errorf("protobuf unmarshal error: %w", err)
	}
	return &p, nil
}

func paymentSender(p *lpnet.Payment) eth.Address {
	return eth.BytesToAddress(p.GetSender())
}

// emptySegmentHash is keccak256 of an empty segment, what live payments sign.
var emptySegmentHash = ethsig.Keccak256(nil)

// segFlatten is go-livepeer's SegTranscodingMetadata.Flatten for a segment
// without transcoding profiles: manifestID ‖ seq (32 bytes) ‖ hash (32 bytes).
func segFlatten(manifestID []byte, seq int64, hash []byte) []byte {
	buf := append([]byte{}, manifestID...)
	buf = append(buf, leftPad(big.NewInt(seq).Bytes(), 32)...)
	return append(buf, bytesToHash(hash).Bytes()...)
}

// verifySegCreds is go-livepeer's verifySegCreds.
func (o *Orchestrator) verifySegCreds(h string, sender eth.Address) (*lpnet.SegData, error) {
	buf, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return nil, errors.New("ErrorSegEncoding")
	}
	var seg lpnet.SegData
	if err := proto.Unmarshal(buf, &seg); err != nil {
		return nil, err
	}
	if !o.offchain && !verifySig(sender, ethsig.Keccak256(segFlatten(seg.ManifestId, seg.Seq, seg.Hash)), seg.Sig) {
		return nil, errors.New("ErrSegSig")
	}
	if !o.compatible(seg.GetCapabilities()) {
		return nil, errors.New("incompatible capabilities")
	}
	if err := o.checkAuthToken(seg.GetAuthToken()); err != nil {
		return nil, err
	}
	return &seg, nil
}

// compatible is go-livepeer's Capabilities.CompatibleWith for a gateway's
// capabilities against this orchestrator's: requested models must exist (and
// be warm when asked), and the requested bitstring must be a subset.
func (o *Orchestrator) compatible(req *lpnet.Capabilities) bool {
	if req == nil {
		return true
	}
	mine := o.netCapabilities()
	for id, cc := range req.GetConstraints().GetPerCapability() {
		have, ok := mine.GetConstraints().GetPerCapability()[id]
		if !ok {
			continue
		}
		for model, mc := range cc.GetModels() {
			hm, ok := have.GetModels()[model]
			if !ok || (mc.GetWarm() && !hm.GetWarm()) {
				return false
			}
		}
	}
	for i, w := range req.GetBitstring() {
		for b := uint32(0); b < 64; b++ {
			if w&(1<<b) != 0 && !hasBit(mine.Bitstring, uint32(i)*64+b) {
				return false
			}
		}
	}
	return true
}

// creditTickets is go-livepeer's orchestrator.ProcessPayment + recipient.ReceiveTicket.
func (o *Orchestrator) creditTickets(p *lpnet.Payment, manifestID string) error {
	if o.offchain {
		o.mu.Lock()
		o.payments++
		o.mu.Unlock()
		return nil
	}
	tp := p.GetTicketParams()
	if len(p.GetSender()) == 0 && tp != nil {
		return errors.New("Could not find Sender for payment")
	}
	sender := paymentSender(p)
	if tp == nil {
		o.mu.Lock()
		o.payments++
		o.mu.Unlock()
		return nil
	}
	recipient := eth.BytesToAddress(tp.Recipient)
	if recipient != o.address {
		return fmt.Errorf("orchestrator %v is inactive in round %v, cannot process payments", recipient.Hex(), creationRound)
	}
	ep := p.GetExpectedPrice()
	if ep == nil || ep.GetPixelsPerUnit() == 0 {
		return fmt.Errorf("invalid expected price sent with payment err=%q", "expected price is nil")
	}
	price := big.NewRat(ep.GetPricePerUnit(), ep.GetPixelsPerUnit())
	face := new(big.Int).SetBytes(tp.FaceValue)
	win := new(big.Int).SetBytes(tp.WinProb)
	exp := new(big.Int).SetBytes(tp.ExpirationBlock)
	round := p.GetExpirationParams().GetCreationRound()
	blockHash := bytesToHash(p.GetExpirationParams().GetCreationRoundBlockHash())
	rnd := o.recipientRand(new(big.Int).SetBytes(tp.Seed), sender, face, win, exp, price, round, blockHash)
	randHash := bytesToHash(tp.RecipientRandHash)
	ev := ticketEV(face, win)

	o.mu.Lock()
	defer o.mu.Unlock()
	var receiveErr error
	for _, tsp := range p.GetTicketSenderParams() {
		t := &ticket{Recipient: recipient, Sender: sender, FaceValue: face, WinProb: win, SenderNonce: tsp.GetSenderNonce(),
			RecipientRandHash: randHash, CreationRound: round, CreationRoundBlockHash: blockHash}
		if sender == (eth.Address{}) {
			return errors.New("invalid ticket sender")
		}
		if keccakHash(leftPad(rnd.Bytes(), 32)) != randHash {
			return errors.New("invalid recipientRand for ticket recipientRandHash")
		}
		err := o.receiveTicketLocked(t, tsp.GetSig(), exp)
		if err != nil && receiveErr == nil {
			receiveErr = err
		}
		if receiveErr == nil {
			k := balanceKey{sender, manifestID}
			if o.balances[k] == nil {
				o.balances[k] = new(big.Rat)
			}
			o.balances[k].Add(o.balances[k], ev)
			o.tickets++
		}
	}
	if receiveErr != nil {
		return receiveErr
	}
	o.payments++
	return nil
}

// receiveTicketLocked checks one ticket's signature, nonce and expiry (non-fatal
// errors in go-livepeer: the batch keeps going but later tickets are not credited).
func (o *Orchestrator) receiveTicketLocked(t *ticket, sig []byte, exp *big.Int) error {
	if !verifySig(t.Sender, t.hash(), sig) {
		return errors.New("invalid ticket signature")
	}
	seen := o.nonces[t.RecipientRandHash]
	if seen == nil {
		seen = map[uint32]struct{}{}
		o.nonces[t.RecipientRandHash] = seen
	}
	if _, dup := seen[t.SenderNonce]; dup {
		return fmt.Errorf("invalid ticket senderNonce: already seen sender=%v nonce=%v", t.Sender.Hex(), t.SenderNonce)
	}
	seen[t.SenderNonce] = struct{}{}
	if exp.Cmp(big.NewInt(o.clock.block())) <= 0 {
		return errTicketParamsExpired
	}
	return nil
}

// Balance returns the credit of (sender, manifestID) in wei, rounded down
// (zero if none).
func (o *Orchestrator) Balance(sender eth.Address, manifestID string) *big.Int {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.balances[balanceKey{sender, manifestID}]
	if b == nil {
		return new(big.Int)
	}
	return ratFloorSigned(b)
}

// sufficientBalance reports whether (sender, manifestID) holds at least one
// ticket's EV, go-livepeer's test before starting priced work. Always true offchain.
func (o *Orchestrator) sufficientBalance(sender eth.Address, manifestID string) bool {
	if o.offchain {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.balances[balanceKey{sender, manifestID}]
	return b != nil && b.Cmp(o.ticketEV()) >= 0
}

// Debit subtracts amount wei from (sender, manifestID) (the balance may go
// negative) and returns the new balance, rounded down.
func (o *Orchestrator) debit(sender eth.Address, manifestID string, amount *big.Int) *big.Int {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := balanceKey{sender, manifestID}
	if o.balances[k] == nil {
		o.balances[k] = new(big.Rat)
	}
	o.balances[k].Sub(o.balances[k], new(big.Rat).SetInt(amount))
	return ratFloorSigned(o.balances[k])
}

// PaymentsReceived counts payments processed without error.
func (o *Orchestrator) PaymentsReceived() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.payments
}

// TicketsReceived counts tickets credited.
func (o *Orchestrator) TicketsReceived() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tickets
}

// ratFloorSigned returns ⌊r⌋ for any sign.
func ratFloorSigned(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	_ = m // Euclidean division with a positive denominator floors
	return q
}
