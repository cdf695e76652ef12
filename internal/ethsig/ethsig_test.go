package ethsig

import (
	"encoding/hex"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
)

// Known vectors computed with go-ethereum v1.17.10 (crypto.HexToECDSA,
// crypto.PubkeyToAddress, crypto.Sign with v += 27, with and without cgo:
// identical) before the SDK stopped depending on it.
const vectorKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

var vectors = []struct {
	msg, keccak, textHash, signHashed, signText string
}{
	{"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
		"5f35dce98ba4fba25530a026ed80b2cecdaa31091ba4958b99b52ea1d068adad",
		"4eff6dcb03d6872bce89018a566540c311c96dd59a1feefaa4c90827c4c6edd24c79eae46643e16b54ea20075317b031c89e5740df5469e42e1b95a93ca036ec1b",
		"8a68b4e66cd2b575338e16069d7b65f6f67c7ceae8945dccf8cb7bdb06278d933dd9c888f3444ca4698464079a067ad3cfffe96d493b8ecf56885169d0fdfe7d1b"},
	{"hello", "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8",
		"50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750",
		"25535c5db03aa05e8ab66afa054dd4b5d11920371f752e768fdcbe9beb7a2a6876b87e3588712b4795207a8ccf4f49b1c896cb8503ee8d60addf53799a88c7731c",
		"a5d58782075bdf09490159d634d1aae66a8f6777c7247d2f233e9511cfd7c64c34f288cdbcea5370e4863fdbe9f4d86654c2ba1d86589e9ebb64494c649008591b"},
	{"livepeer-go-gateway", "af3c90ad9449630679c226a29f114b15adb10c0a03bb700856ca7bfb951a4901",
		"8c71821d696a58ecdc190c674b63db8144c787678d2879af00af30d29684786e",
		"d84b2247ba007581880500406d679a9a9abbbf0a5ec63addd0c1e345a70bae960cca56a801b6fa14c7a15c9738245ef9f3182ae262b0f6ecf3b56a5b576586351c",
		"6906b9f33f86133d987bea91a4d5982b66580a4e608c0cfd795bc23f8e650dc90671bc764990843a67098ae1daa3457eaa342bc614d7b1f7ee176cfeff547ee31c"},
}

func TestKnownVectorsFromGoEthereum(t *testing.T) {
	key, err := eth.ParseKey(vectorKey)
	require.NoError(t, err)
	addr := eth.KeyAddress(key)
	require.Equal(t, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", addr.Hex())
	for _, v := range vectors {
		require.Equal(t, v.keccak, hex.EncodeToString(Keccak256([]byte(v.msg))), v.msg)
		require.Equal(t, v.textHash, hex.EncodeToString(TextHash([]byte(v.msg))), v.msg)
		// go-livepeer signs hashes: BYOC V0 = personal_sign(keccak256(msg)).
		sig, err := SignText(key, Keccak256([]byte(v.msg)))
		require.NoError(t, err)
		require.Equal(t, v.signHashed, hex.EncodeToString(sig), v.msg)
		sig, err = SignText(key, []byte(v.msg))
		require.NoError(t, err)
		require.Equal(t, v.signText, hex.EncodeToString(sig), v.msg)
		got, err := RecoverText([]byte(v.msg), sig)
		require.NoError(t, err)
		require.Equal(t, addr, got)
	}
	// The GetOrchestrator request signature: Eth.Sign(keccak256(EIP-55 address)).
	sig, err := SignText(key, Keccak256([]byte(addr.Hex())))
	require.NoError(t, err)
	require.Equal(t, "662f6ce6e23e70c7db9bdcc7b0d91bdf58d8743ba347ab0b9aa060154644c55122dd6afcc20a6cba9cab1d565a6b1dc36be9a9314e0317b943f8b0f1a726e2971b", hex.EncodeToString(sig))
}

func TestVerifyRules(t *testing.T) {
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	addr := eth.KeyAddress(key)
	sig, err := SignText(key, []byte("msg"))
	require.NoError(t, err)
	require.Len(t, sig, SignatureLength)
	require.Contains(t, []byte{27, 28}, sig[64])
	require.NoError(t, VerifyText(addr, []byte("msg"), sig))
	require.ErrorIs(t, VerifyText(addr, []byte("other"), sig), ErrBadSignature)

	bad := append([]byte(nil), sig...)
	bad[64] = 1
	require.ErrorIs(t, VerifyText(addr, []byte("msg"), bad), ErrBadSignature, "v must be 27/28")
	require.ErrorIs(t, VerifyText(addr, []byte("msg"), sig[:64]), ErrBadSignature, "65 bytes")
	// The same signature with s' = N - s recovers the same key mathematically;
	// go-livepeer refuses it (malleability), and so do we.
	high := append([]byte(nil), sig...)
	s := new(secp256k1.ModNScalar)
	s.SetByteSlice(sig[32:64])
	s.Negate()
	b := s.Bytes()
	copy(high[32:64], b[:])
	high[64] ^= 1 // 27 <-> 28 flips the recovery id for -s
	require.ErrorIs(t, VerifyText(addr, []byte("msg"), high), ErrBadSignature)

	_, err = SignText(nil, []byte("x"))
	require.ErrorIs(t, err, eth.ErrInvalidKey)
}
