package livepeertest

import (
	"math/big"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
)

func TestSignatureRules(t *testing.T) {
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	addr := eth.KeyAddress(key)
	msg := []byte("hello")
	sig, err := ethSign(key, msg)
	require.NoError(t, err)
	require.True(t, verifySig(addr, msg, sig))
	require.False(t, verifySig(addr, []byte("other"), sig))

	// V must be 27/28.
	v01 := append([]byte(nil), sig...)
	v01[64] -= 27
	require.False(t, verifySig(addr, msg, v01))
	// High-S twin of a valid signature is refused.
	high := append([]byte(nil), sig...)
	s := new(big.Int).SetBytes(sig[32:64])
	copy(high[32:64], make([]byte, 32))
	hs := new(big.Int).Sub(secp256k1.S256().Params().N, s).Bytes()
	copy(high[64-len(hs):64], hs)
	high[64] = 27 + (28 - sig[64])
	require.False(t, verifySig(addr, msg, high))
	require.False(t, verifySig(addr, msg, sig[:64]))

	// The orchestrator-request signature is over keccak256 of the checksummed address.
	osig, err := signOrchRequest(key)
	require.NoError(t, err)
	require.True(t, verifyOrchRequest(addr, osig))
	require.True(t, verifySig(addr, ethsig.Keccak256([]byte(addr.Hex())), osig))
}

func TestWinProbMatchesEV(t *testing.T) {
	ev := big.NewInt(1_000_000_000_000)
	face := new(big.Int).Mul(ev, big.NewInt(100))
	got := ticketEV(face, winProbFor(face, ev))
	require.GreaterOrEqual(t, got.Cmp(new(big.Rat).SetInt(ev)), 0)
	// Within one part in 10^12 of the target.
	diff := new(big.Rat).Sub(got, new(big.Rat).SetInt(ev))
	require.Negative(t, diff.Cmp(big.NewRat(1, 1)))
	require.Equal(t, maxWinProb, winProbFor(ev, ev))
	require.Zero(t, winProbFor(new(big.Int), ev).Sign())
}
