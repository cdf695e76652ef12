package eth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/sha3"
)

// AddressLength is the length of an Address in bytes.
const AddressLength = 20

// ErrInvalidAddress: a string is not a 20-byte hex address.
var ErrInvalidAddress = errors.New("eth: invalid address")

// Address is an Ethereum account address: the last 20 bytes of the
// keccak-256 hash of a public key. The zero value is the zero address,
// which off-chain orchestrators report.
type Address [AddressLength]byte

// BytesToAddress returns the address held in b: its last 20 bytes, or b
// left-padded with zeros when shorter (go-ethereum's common.BytesToAddress,
// which is how go-livepeer reads address bytes from its protobufs).
func BytesToAddress(b []byte) Address {
	var a Address
	if len(b) > AddressLength {
		b = b[len(b)-AddressLength:]
	}
	copy(a[AddressLength-len(b):], b)
	return a
}

// ParseAddress parses "0x" followed by 40 hex digits (the prefix is
// optional, any letter case is accepted: the EIP-55 checksum is not
// enforced, as go-livepeer does not enforce it). Anything else gives an
// error wrapping ErrInvalidAddress.
func ParseAddress(s string) (Address, error) {
	h := strings.TrimSpace(s)
	if len(h) >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
		h = h[2:]
	}
	if len(h) != 2*AddressLength {
		return Address{}, fmt.Errorf("%w: %q is not 40 hex digits", ErrInvalidAddress, s)
	}
	var a Address
	if _, err := hex.Decode(a[:], []byte(h)); err != nil {
		return Address{}, fmt.Errorf("%w: %q: %v", ErrInvalidAddress, s, err)
	}
	return a, nil
}

// Bytes returns a copy of the 20 address bytes.
func (a Address) Bytes() []byte { return append([]byte(nil), a[:]...) }

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// Hex returns the EIP-55 mixed-case checksum form, "0x5aAeb605…". This is
// the exact string go-livepeer signs in the Livepeer-Eth-Address header and
// in GetOrchestrator requests.
func (a Address) Hex() string {
	low := hex.EncodeToString(a[:])
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(low))
	sum := h.Sum(nil)
	out := []byte("0x" + low)
	for i := 0; i < len(low); i++ {
		c := low[i]
		if c < 'a' {
			continue // a digit
		}
		nibble := sum[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if nibble&0xf >= 8 {
			out[i+2] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// String is Hex.
func (a Address) String() string { return a.Hex() }

// MarshalText writes "0x" and 40 lower-case hex digits, as go-ethereum's
// common.Address does (so JSON that go-livepeer writes and reads keeps its
// shape).
func (a Address) MarshalText() ([]byte, error) {
	return []byte("0x" + hex.EncodeToString(a[:])), nil
}

// UnmarshalText parses what ParseAddress accepts.
func (a *Address) UnmarshalText(b []byte) error {
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
