package livepeertest

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// secp256k1HalfN is N/2 for secp256k1; go-livepeer rejects signatures with s above it.
var secp256k1HalfN = new(big.Int).Rsh(crypto.S256().Params().N, 1)

// textHash is Ethereum's personal_sign digest:
// keccak256("\x19Ethereum Signed Message:\n" + len(msg) + msg).
func textHash(msg []byte) []byte {
	prefix := fmt.Sprintf("\x19Ethereum Signed Message:\n%d", len(msg))
	return crypto.Keccak256([]byte(prefix), msg)
}

// ethSign signs msg the way go-livepeer's account manager does (Eth.Sign):
// secp256k1 over textHash(msg), 65 bytes R‖S‖V with V in {27, 28}.
// go-ethereum produces low-S signatures.
func ethSign(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	sig, err := crypto.Sign(textHash(msg), key)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}

// verifySig reports whether sig is addr's personal_sign signature over msg,
// with go-livepeer's rules (crypto/verify.go): 65 bytes, V 27 or 28, low S.
func verifySig(addr common.Address, msg, sig []byte) bool {
	got, err := recoverSigner(msg, sig)
	return err == nil && got == addr
}

func recoverSigner(msg, sig []byte) (common.Address, error) {
	if len(sig) != 65 {
		return common.Address{}, errors.New("invalid signature length")
	}
	if new(big.Int).SetBytes(sig[32:64]).Cmp(secp256k1HalfN) > 0 {
		return common.Address{}, errors.New("signature s value too high")
	}
	v := sig[64]
	if v != 27 && v != 28 {
		return common.Address{}, errors.New("signature v value must be 27 or 28")
	}
	s := make([]byte, 65)
	copy(s, sig)
	s[64] -= 27
	pub, err := crypto.SigToPub(textHash(msg), s)
	if err != nil {
		return common.Address{}, err
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// signOrchRequest is what go-livepeer's remote signer returns from
// /sign-orchestrator-info and what an OrchestratorRequest.sig must be:
// Eth.Sign(keccak256(EIP-55 address string)).
func signOrchRequest(key *ecdsa.PrivateKey) ([]byte, error) {
	addr := crypto.PubkeyToAddress(key.PublicKey)
	return ethSign(key, crypto.Keccak256([]byte(addr.Hex())))
}

// verifyOrchRequest checks an OrchestratorRequest signature (go-livepeer verifyOrchestratorReq).
func verifyOrchRequest(addr common.Address, sig []byte) bool {
	return verifySig(addr, crypto.Keccak256([]byte(addr.Hex())), sig)
}
