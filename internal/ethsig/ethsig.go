// Package ethsig signs and verifies the way go-livepeer does: Ethereum
// personal-sign (EIP-191 "\x19Ethereum Signed Message:\n<len>" prefix,
// keccak-256) with secp256k1, 65-byte r‖s‖v signatures where v is 27 or 28
// and s is in the lower half of the curve order. Keys are stdlib
// *ecdsa.PrivateKey on secp256k1 (eth.IsKey). Built on decred's secp256k1
// (the same code go-ethereum uses without cgo) and x/crypto's legacy
// Keccak-256, so signatures are byte-identical to go-ethereum's
// crypto.Sign (RFC 6979 deterministic nonces).
package ethsig

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	decredecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"

	"github.com/livepeer/livepeer-go-gateway/eth"
)

// SignatureLength is the length of a signature: r (32) ‖ s (32) ‖ v (1).
const SignatureLength = 65

// ErrBadSignature is matched (errors.Is) by every verification failure:
// wrong length, high s, v not 27/28, a point that does not recover, or a
// recovered address that is not the claimed one.
var ErrBadSignature = errors.New("bad signature")

var halfN = new(big.Int).Rsh(secp256k1.S256().Params().N, 1)

// Keccak256 returns the legacy (pre-SHA-3) Keccak-256 digest of the
// concatenated inputs, Ethereum's hash.
func Keccak256(data ...[]byte) []byte {
	h := sha3.NewLegacyKeccak256()
	for _, b := range data {
		h.Write(b)
	}
	return h.Sum(nil)
}

// TextHash is the personal-sign digest of msg:
// keccak256("\x19Ethereum Signed Message:\n" + decimal len(msg) + msg).
func TextHash(msg []byte) []byte {
	return Keccak256([]byte("\x19Ethereum Signed Message:\n"+strconv.Itoa(len(msg))), msg)
}

// SignText signs TextHash(msg) with key: go-livepeer's Eth.Sign (and the
// remote signer's). go-livepeer signs hashes this way (tickets, seg creds,
// state), and, for the BYOC V0 header, keccak256(request+parameters).
// The result is 65 bytes with v = 27 or 28. It fails on a key that is not
// secp256k1.
func SignText(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	if !eth.IsKey(key) {
		return nil, eth.ErrInvalidKey
	}
	var s secp256k1.ModNScalar
	s.SetByteSlice(key.D.Bytes())
	priv := secp256k1.NewPrivateKey(&s)
	defer priv.Zero()
	// SignCompact: v ‖ r ‖ s with v = 27 + recovery id (uncompressed key).
	c := decredecdsa.SignCompact(priv, TextHash(msg), false)
	sig := make([]byte, SignatureLength)
	copy(sig, c[1:])
	sig[64] = c[0]
	return sig, nil
}

// RecoverText returns the address whose key made sig over msg with
// SignText. Like go-livepeer's crypto.VerifySig it refuses signatures that
// are not 65 bytes, have a high s, or a v other than 27/28. Errors wrap
// ErrBadSignature.
func RecoverText(msg, sig []byte) (eth.Address, error) {
	if len(sig) != SignatureLength {
		return eth.Address{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadSignature, len(sig), SignatureLength)
	}
	if new(big.Int).SetBytes(sig[32:64]).Cmp(halfN) > 0 {
		return eth.Address{}, fmt.Errorf("%w: s value too high", ErrBadSignature)
	}
	v := sig[64]
	if v != 27 && v != 28 {
		return eth.Address{}, fmt.Errorf("%w: v value %d, want 27 or 28", ErrBadSignature, v)
	}
	c := make([]byte, SignatureLength)
	c[0] = v
	copy(c[1:], sig[:64])
	pub, _, err := decredecdsa.RecoverCompact(c, TextHash(msg))
	if err != nil {
		return eth.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return eth.PubkeyToAddress(pub.ToECDSA()), nil
}

// VerifyText reports (as a nil error) whether sig over msg was made by
// addr's key; errors wrap ErrBadSignature.
func VerifyText(addr eth.Address, msg, sig []byte) error {
	got, err := RecoverText(msg, sig)
	if err != nil {
		return err
	}
	if got != addr {
		return fmt.Errorf("%w: signed by %s, not %s", ErrBadSignature, got.Hex(), addr.Hex())
	}
	return nil
}
