package byoc

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrBadSignature is matched (errors.Is) by every signature failure: bad
// hex, wrong length, high S, V not 27/28, or a recovered address that is
// not the claimed one.
var ErrBadSignature = errors.New("byoc: bad signature")

var secp256k1HalfN = new(big.Int).Rsh(crypto.S256().Params().N, 1)

// TextHash is the Ethereum personal_sign digest of msg:
// keccak256("\x19Ethereum Signed Message:\n" + len(msg) + msg).
func TextHash(msg []byte) []byte {
	prefix := fmt.Sprintf("\x19Ethereum Signed Message:\n%d", len(msg))
	return crypto.Keccak256([]byte(prefix), msg)
}

// Sign signs msg the way go-livepeer's broadcaster does:
// personal_sign(keccak256(msg)), 65 bytes with V = 27 or 28 (S is low, as
// go-ethereum produces it). It fails only on a nil key.
func Sign(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	if key == nil {
		return nil, errors.New("byoc: no signing key")
	}
	sig, err := crypto.Sign(TextHash(crypto.Keccak256(msg)), key)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}

// Recover returns the address that produced sig over msg with Sign. Like
// go-livepeer's crypto.VerifySig it refuses signatures that are not 65
// bytes, have a high S or a V other than 27/28. Errors wrap ErrBadSignature.
func Recover(msg, sig []byte) (common.Address, error) {
	if len(sig) != 65 {
		return common.Address{}, fmt.Errorf("%w: %d bytes, want 65", ErrBadSignature, len(sig))
	}
	if new(big.Int).SetBytes(sig[32:64]).Cmp(secp256k1HalfN) > 0 {
		return common.Address{}, fmt.Errorf("%w: s value too high", ErrBadSignature)
	}
	if v := sig[64]; v != 27 && v != 28 {
		return common.Address{}, fmt.Errorf("%w: v value %d, want 27 or 28", ErrBadSignature, v)
	}
	s := make([]byte, 65)
	copy(s, sig)
	s[64] -= 27
	pub, err := crypto.SigToPub(TextHash(crypto.Keccak256(msg)), s)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// Verify reports (as a nil error) whether sig over msg was made by addr;
// errors wrap ErrBadSignature.
func Verify(addr common.Address, msg, sig []byte) error {
	got, err := Recover(msg, sig)
	if err != nil {
		return err
	}
	if got != addr {
		return fmt.Errorf("%w: signed by %s, not %s", ErrBadSignature, got.Hex(), addr.Hex())
	}
	return nil
}

// DecodeSig hex-decodes a signature as go-livepeer's orchestrator does: a
// "0x" prefix is removed only when the string is longer than 130
// characters, so "" decodes to an empty signature and "0x" is an error.
// Errors wrap ErrBadSignature.
func DecodeSig(s string) ([]byte, error) {
	h := s
	if len(h) > 130 {
		h = h[2:]
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: not hex: %v", ErrBadSignature, err)
	}
	return b, nil
}

// EncodeSig renders a signature for a header: "0x"+hex, or "" when sig is
// empty (off-chain orchestrators accept "" but refuse "0x").
func EncodeSig(sig []byte) string {
	if len(sig) == 0 {
		return ""
	}
	return "0x" + hex.EncodeToString(sig)
}
