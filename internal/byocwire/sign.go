package byocwire

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
)

// ErrBadSignature is matched (errors.Is) by every signature failure: bad
// hex, wrong length, high S, V not 27/28, or a recovered address that is
// not the claimed one.
var ErrBadSignature = ethsig.ErrBadSignature

// Sign signs msg the way go-livepeer's broadcaster does:
// personal_sign(keccak256(msg)), 65 bytes with V = 27 or 28 and a low S.
// It fails only on a nil or non-secp256k1 key.
func Sign(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	if key == nil {
		return nil, errors.New("byocwire: no signing key")
	}
	return ethsig.SignText(key, ethsig.Keccak256(msg))
}

// Recover returns the address that produced sig over msg with Sign. Like
// go-livepeer's crypto.VerifySig it refuses signatures that are not 65
// bytes, have a high S or a V other than 27/28. Errors wrap ErrBadSignature.
func Recover(msg, sig []byte) (eth.Address, error) {
	return ethsig.RecoverText(ethsig.Keccak256(msg), sig)
}

// Verify reports (as a nil error) whether sig over msg was made by addr;
// errors wrap ErrBadSignature.
func Verify(addr eth.Address, msg, sig []byte) error {
	return ethsig.VerifyText(addr, ethsig.Keccak256(msg), sig)
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

// lenientAddress reads an address the way go-ethereum's HexToAddress does
// for verification purposes: a malformed one becomes the zero address, which
// no signature recovers to.
func lenientAddress(s string) eth.Address {
	a, err := eth.ParseAddress(s)
	if err != nil {
		return eth.Address{}
	}
	return a
}
