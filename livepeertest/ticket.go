package livepeertest

import (
	"math/big"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
)

// maxWinProb is go-livepeer's 2^256 - 1 (pm/recipient.go); EV = faceValue × winProb / maxWinProb.
var maxWinProb = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// ticket holds the fields of a probabilistic-micropayment ticket that its hash covers.
type ticket struct {
	Recipient              eth.Address
	Sender                 eth.Address
	FaceValue              *big.Int
	WinProb                *big.Int
	SenderNonce            uint32
	RecipientRandHash      hash32
	CreationRound          int64
	CreationRoundBlockHash hash32
}

// hash is keccak256 over the tightly packed fields, as go-livepeer's pm.Ticket.Hash:
// recipient(20) ‖ sender(20) ‖ faceValue(32) ‖ winProb(32) ‖ nonce(32) ‖ recipientRandHash(32)
// ‖ auxData (creationRound(32) ‖ creationRoundBlockHash(32), empty when both are zero).
func (t *ticket) hash() []byte {
	buf := make([]byte, 0, 20+20+32*4+64)
	buf = append(buf, t.Recipient.Bytes()...)
	buf = append(buf, t.Sender.Bytes()...)
	buf = append(buf, leftPad(t.FaceValue.Bytes(), 32)...)
	buf = append(buf, leftPad(t.WinProb.Bytes(), 32)...)
	buf = append(buf, leftPad(new(big.Int).SetUint64(uint64(t.SenderNonce)).Bytes(), 32)...)
	buf = append(buf, t.RecipientRandHash.Bytes()...)
	buf = append(buf, auxData(t.CreationRound, t.CreationRoundBlockHash)...)
	return ethsig.Keccak256(buf)
}

func auxData(round int64, blockHash hash32) []byte {
	if round == 0 && blockHash == (hash32{}) {
		return nil
	}
	return append(leftPad(big.NewInt(round).Bytes(), 32), blockHash.Bytes()...)
}

// ticketEV is faceValue × winProb / (2^256 − 1).
func ticketEV(faceValue, winProb *big.Int) *big.Rat {
	return new(big.Rat).Mul(new(big.Rat).SetInt(faceValue), new(big.Rat).SetFrac(winProb, maxWinProb))
}

// winProbFor mirrors go-livepeer's recipient.winProb: the smallest multiple of
// ev·⌈maxWinProb/faceValue⌉ so that faceValue × winProb / maxWinProb ≥ ev.
func winProbFor(faceValue, ev *big.Int) *big.Int {
	if faceValue.Sign() == 0 {
		return new(big.Int)
	}
	if faceValue.Cmp(ev) == 0 {
		return new(big.Int).Set(maxWinProb)
	}
	x, m := new(big.Int).DivMod(maxWinProb, faceValue, new(big.Int))
	if m.Sign() != 0 {
		x.Add(x, big.NewInt(1))
	}
	return x.Mul(x, ev)
}

// ratFloor returns ⌊r⌋ (r ≥ 0).
func ratFloor(r *big.Rat) *big.Int {
	return new(big.Int).Quo(r.Num(), r.Denom())
}
