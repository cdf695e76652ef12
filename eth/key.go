package eth

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"golang.org/x/crypto/sha3"
)

// ErrInvalidKey: a key is not a secp256k1 private key.
var ErrInvalidKey = errors.New("eth: invalid secp256k1 key")

// GenerateKey returns a new random secp256k1 private key.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return nil, fmt.Errorf("eth: generate key: %w", err)
	}
	return k.ToECDSA(), nil
}

// ParseKey decodes a hex private key (64 hex digits, "0x" optional), the
// format of go-ethereum's crypto.HexToECDSA. A string of the wrong length,
// not hex, zero or not below the curve order gives an error wrapping
// ErrInvalidKey (the key itself never appears in it).
func ParseKey(hexKey string) (*ecdsa.PrivateKey, error) {
	h := strings.TrimPrefix(strings.TrimSpace(hexKey), "0x")
	if len(h) != 64 {
		return nil, fmt.Errorf("%w: want 64 hex digits, got %d characters", ErrInvalidKey, len(h))
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: not hex", ErrInvalidKey)
	}
	var s secp256k1.ModNScalar
	if overflow := s.SetByteSlice(b); overflow || s.IsZero() {
		return nil, fmt.Errorf("%w: zero or not below the curve order", ErrInvalidKey)
	}
	return secp256k1.NewPrivateKey(&s).ToECDSA(), nil
}

// IsKey reports whether k is a usable secp256k1 private key: non-nil, with
// a scalar, on secp256k1 (compared by curve parameters, so keys made by
// go-ethereum with or without cgo qualify).
func IsKey(k *ecdsa.PrivateKey) bool {
	if k == nil || k.D == nil || k.D.Sign() <= 0 || k.Curve == nil || k.Curve.Params() == nil {
		return false
	}
	p, want := k.Curve.Params(), secp256k1.S256().Params()
	return p.P.Cmp(want.P) == 0 && p.N.Cmp(want.N) == 0 && p.B.Cmp(want.B) == 0 &&
		p.Gx.Cmp(want.Gx) == 0 && p.Gy.Cmp(want.Gy) == 0 && k.D.Cmp(want.N) < 0
}

// PubkeyToAddress returns the address of a secp256k1 public key: the last
// 20 bytes of keccak-256 over its 64-byte uncompressed X‖Y.
func PubkeyToAddress(pub *ecdsa.PublicKey) Address {
	if pub == nil || pub.X == nil || pub.Y == nil || pub.X.BitLen() > 256 || pub.Y.BitLen() > 256 {
		return Address{}
	}
	var xy [64]byte
	pub.X.FillBytes(xy[:32])
	pub.Y.FillBytes(xy[32:])
	h := sha3.NewLegacyKeccak256()
	h.Write(xy[:])
	return BytesToAddress(h.Sum(nil))
}

// KeyAddress returns the address of k's public key (the zero address for nil).
func KeyAddress(k *ecdsa.PrivateKey) Address {
	if k == nil {
		return Address{}
	}
	return PubkeyToAddress(&k.PublicKey)
}
