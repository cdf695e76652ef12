package eth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
)

func TestAddressChecksumAndText(t *testing.T) {
	// EIP-55's own test vectors.
	for _, want := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		a, err := eth.ParseAddress(want)
		require.NoError(t, err)
		require.Equal(t, want, a.Hex())
		require.Equal(t, want, a.String())
		lower, err := eth.ParseAddress("0X" + want[2:])
		require.NoError(t, err)
		require.Equal(t, a, lower)
	}
	a, _ := eth.ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	b, err := json.Marshal(struct{ A eth.Address }{a})
	require.NoError(t, err)
	require.JSONEq(t, `{"A":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}`, string(b), "go-ethereum's JSON form")
	var back struct{ A eth.Address }
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, a, back.A)
	require.Error(t, json.Unmarshal([]byte(`{"A":"0x12"}`), &back))

	for _, bad := range []string{"", "0x", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "0xzzAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"} {
		_, err := eth.ParseAddress(bad)
		require.ErrorIs(t, err, eth.ErrInvalidAddress, bad)
	}
	require.True(t, eth.Address{}.IsZero())
	require.Equal(t, a, eth.BytesToAddress(append([]byte{9, 9}, a[:]...)), "last 20 bytes")
	require.Equal(t, eth.Address{19: 7}, eth.BytesToAddress([]byte{7}), "left-padded")
	require.Equal(t, a[:], a.Bytes())
}

func TestKeys(t *testing.T) {
	k, err := eth.ParseKey("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	require.NoError(t, err)
	require.True(t, eth.IsKey(k))
	require.Equal(t, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", eth.KeyAddress(k).Hex(), "go-ethereum's address for this key")
	g, err := eth.GenerateKey()
	require.NoError(t, err)
	require.True(t, eth.IsKey(g))
	require.NotEqual(t, eth.KeyAddress(k), eth.KeyAddress(g))
	for _, bad := range []string{"", "00", "zz" + vectorTail, "0000000000000000000000000000000000000000000000000000000000000000",
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"} {
		_, err := eth.ParseKey(bad)
		require.ErrorIs(t, err, eth.ErrInvalidKey, bad)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	require.False(t, eth.IsKey(p256))
	require.False(t, eth.IsKey(nil))
	require.True(t, eth.KeyAddress(nil).IsZero())
}

const vectorTail = "0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
