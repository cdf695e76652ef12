package livepeertest

import (
	"crypto/ecdsa"
	"encoding/hex"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
)

// hash32 is a 32-byte hash (go-ethereum's common.Hash).
type hash32 [32]byte

func bytesToHash(b []byte) hash32 {
	var h hash32
	if len(b) > 32 {
		b = b[len(b)-32:]
	}
	copy(h[32-len(b):], b)
	return h
}

// leftPad returns b left-padded with zeros to n bytes (b itself when longer).
func leftPad(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out
}

// keccakHash is keccak256 as a hash32.
func keccakHash(data ...[]byte) hash32 { return bytesToHash(ethsig.Keccak256(data...)) }

// hexAddress reads an address as go-ethereum's HexToAddress does for
// checks: a malformed one is the zero address, which no signature recovers to.
func hexAddress(s string) eth.Address {
	a, err := eth.ParseAddress(s)
	if err != nil {
		return eth.Address{}
	}
	return a
}

// ethSign signs msg the way go-livepeer's account manager does (Eth.Sign):
// secp256k1 over personal_sign's hash of msg, 65 bytes R‖S‖V with V in {27, 28}.
func ethSign(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) { return ethsig.SignText(key, msg) }

// verifySig reports whether sig is addr's personal_sign signature over msg,
// with go-livepeer's rules (crypto/verify.go): 65 bytes, V 27 or 28, low S.
func verifySig(addr eth.Address, msg, sig []byte) bool {
	return ethsig.VerifyText(addr, msg, sig) == nil
}

// signOrchRequest is what go-livepeer's remote signer returns from
// /sign-orchestrator-info and what an OrchestratorRequest.sig must be:
// Eth.Sign(keccak256(EIP-55 address string)).
func signOrchRequest(key *ecdsa.PrivateKey) ([]byte, error) {
	return ethSign(key, ethsig.Keccak256([]byte(eth.KeyAddress(key).Hex())))
}

// verifyOrchRequest checks an OrchestratorRequest signature (go-livepeer verifyOrchestratorReq).
func verifyOrchRequest(addr eth.Address, sig []byte) bool {
	return verifySig(addr, ethsig.Keccak256([]byte(addr.Hex())), sig)
}

// Bytes returns the hash's bytes.
func (h hash32) Bytes() []byte { return append([]byte(nil), h[:]...) }

// Hex returns "0x" and 64 lower-case hex digits.
func (h hash32) Hex() string { return "0x" + hex.EncodeToString(h[:]) }

// isHexAddress reports whether s is a 0x-prefixed (or bare) 40-hex-digit
// address, as go-ethereum's common.IsHexAddress.
func isHexAddress(s string) bool {
	_, err := eth.ParseAddress(s)
	return err == nil
}
