package byocwire

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
)

func TestTextHashKnownVector(t *testing.T) {
	// personal_sign digest of "hello", as every Ethereum wallet computes it.
	require.Equal(t, "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750",
		hex.EncodeToString(ethsig.TextHash([]byte("hello"))))
}

func TestSignRecoverRoundTrip(t *testing.T) {
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	addr := eth.KeyAddress(key)
	sig, err := Sign(key, []byte("msg"))
	require.NoError(t, err)
	require.Len(t, sig, 65)
	require.Contains(t, []byte{27, 28}, sig[64])
	require.NoError(t, Verify(addr, []byte("msg"), sig))
	require.ErrorIs(t, Verify(addr, []byte("other"), sig), ErrBadSignature)

	bad := append([]byte(nil), sig...)
	bad[64] = 1
	require.ErrorIs(t, Verify(addr, []byte("msg"), bad), ErrBadSignature)
	require.ErrorIs(t, Verify(addr, []byte("msg"), sig[:64]), ErrBadSignature)
	// High S is refused even though the math would recover some key.
	high := append([]byte(nil), sig...)
	copy(high[32:64], bytes.Repeat([]byte{0xff}, 32))
	require.ErrorIs(t, Verify(addr, []byte("msg"), high), ErrBadSignature)

	_, err = Sign(nil, []byte("x"))
	require.Error(t, err)
}

func TestJobHeaderWireFormat(t *testing.T) {
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	j := &JobRequest{ID: "job-1", Request: `{"a":1}`, Parameters: `{}`, Capability: "text-reversal", TimeoutSeconds: 30}
	require.NoError(t, j.SignV0(key))
	h, err := j.Encode()
	require.NoError(t, err)

	raw, err := base64.StdEncoding.DecodeString(h)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Equal(t, `{"a":1}`, m["request"], "request travels as a JSON string")
	require.Equal(t, `{}`, m["parameters"])
	require.Equal(t, "text-reversal", m["capability"])
	require.Equal(t, float64(30), m["timeout_seconds"])
	require.Equal(t, eth.KeyAddress(key).Hex(), m["sender"])
	require.True(t, strings.HasPrefix(m["sig"].(string), "0x"))
	require.Len(t, m["sig"], 132)
	for _, k := range []string{"id", "capability_url"} {
		require.Contains(t, m, k)
	}

	got, err := VerifyJobHeader(h, false)
	require.NoError(t, err)
	require.Equal(t, j, got)

	// The signature covers request+parameters only, as on master: a different id still verifies...
	j2 := *j
	j2.ID, j2.Capability = "other", "other"
	h2, _ := j2.Encode()
	_, err = VerifyJobHeader(h2, false)
	require.NoError(t, err)
	// ...but a different request does not.
	j3 := *j
	j3.Request = `{"a":2}`
	h3, _ := j3.Encode()
	_, err = VerifyJobHeader(h3, false)
	require.ErrorIs(t, err, ErrBadSignature)
	_, err = VerifyJobHeader(h3, true)
	require.NoError(t, err, "off-chain skips the signature check")
}

func TestJobHeaderOffchainSig(t *testing.T) {
	j := &JobRequest{Request: "{}", TimeoutSeconds: 5}
	require.Equal(t, "", EncodeSig(nil), "an empty signature is sent as \"\", never \"0x\"")
	h, err := j.Encode()
	require.NoError(t, err)
	_, err = VerifyJobHeader(h, true)
	require.NoError(t, err)
	_, err = VerifyJobHeader(h, false)
	require.ErrorIs(t, err, ErrBadSignature)

	// "0x" fails hex decoding even off-chain, as go-livepeer master does (issue #3905).
	j.Sig = "0x"
	h, _ = j.Encode()
	_, err = VerifyJobHeader(h, true)
	require.ErrorIs(t, err, ErrBadSignature)
}

func TestJobHeaderErrors(t *testing.T) {
	_, err := ParseJobHeader("")
	require.ErrorIs(t, err, ErrBadHeader)
	_, err = ParseJobHeader("!!!")
	require.ErrorIs(t, err, ErrBadHeader)
	_, err = ParseJobHeader(base64.StdEncoding.EncodeToString([]byte("[1]")))
	require.ErrorIs(t, err, ErrBadHeader)
	_, err = ParseJobHeader(base64.StdEncoding.EncodeToString([]byte(`{"request":"{}"}`)))
	require.ErrorIs(t, err, ErrNoTimeout)

	j := &JobRequest{Request: "not json", TimeoutSeconds: 1}
	_, err = j.ParseRequestDetails()
	require.ErrorIs(t, err, ErrBadHeader)
	j.Request = `{"stream_id":"s1"}`
	d, err := j.ParseRequestDetails()
	require.NoError(t, err)
	require.Equal(t, "s1", d.StreamID)
}

func TestEthAddressHeader(t *testing.T) {
	key, err := eth.GenerateKey()
	require.NoError(t, err)
	s, err := NewJobSender(key)
	require.NoError(t, err)
	h, err := s.Encode()
	require.NoError(t, err)
	raw, _ := base64.StdEncoding.DecodeString(h)
	require.JSONEq(t, `{"addr":"`+s.Addr+`","sig":"`+s.Sig+`"}`, string(raw))

	got, err := ParseEthAddressHeader(h, false)
	require.NoError(t, err)
	require.Equal(t, s, got)

	// The signature is over the address string exactly as sent: lower-casing it breaks it.
	lower := &JobSender{Addr: strings.ToLower(s.Addr), Sig: s.Sig}
	hl, _ := lower.Encode()
	_, err = ParseEthAddressHeader(hl, false)
	require.ErrorIs(t, err, ErrBadSignature)
	_, err = ParseEthAddressHeader(hl, true)
	require.NoError(t, err)

	_, err = ParseEthAddressHeader("", false)
	require.ErrorIs(t, err, ErrBadHeader)
	_, err = ParseEthAddressHeader("e30=", false) // {}
	require.ErrorIs(t, err, ErrBadSignature)
}

func TestDecodeJobToken(t *testing.T) {
	// As go-livepeer off-chain answers (verified against a running node).
	tok, err := DecodeJobToken([]byte(`{"sender_address":{"addr":"0xabc","sig":"0x01"},"price":{"pixelsPerUnit":1},"service_addr":"https://127.0.0.1:8935","available_capacity":2,"LastNonce":0}`))
	require.NoError(t, err)
	require.Equal(t, "0xabc", tok.SenderAddress.Addr)
	require.Equal(t, int64(2), tok.AvailableCapacity)
	require.Equal(t, "https://127.0.0.1:8935", tok.ServiceAddr)
	require.Equal(t, 0, tok.PricePerSecond().Sign())

	// On-chain: ticket params with base64 bytes and snake_case keys, a price and a balance.
	tok, err = DecodeJobToken([]byte(`{"ticket_params":{"recipient":"AQID","face_value":"BA==","win_prob":"BQ==","expiration_params":{"creation_round":7}},"balance":1200,"price":{"pricePerUnit":30,"pixelsPerUnit":3},"available_capacity":1}`))
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3}, tok.TicketParams.GetRecipient())
	require.Equal(t, []byte{4}, tok.TicketParams.GetFaceValue())
	require.Equal(t, int64(7), tok.TicketParams.GetExpirationParams().GetCreationRound())
	require.Equal(t, int64(1200), tok.Balance)
	require.Equal(t, "10", tok.PricePerSecond().RatString())
	require.Equal(t, "600", MinimumBalance(tok.PricePerSecond()).RatString())

	_, err = DecodeJobToken([]byte(`{"balance":"x"}`))
	require.ErrorIs(t, err, ErrBadHeader)
	var nilTok *JobToken
	require.Equal(t, 0, nilTok.PricePerSecond().Sign())
}

func TestExternalCapability(t *testing.T) {
	c, err := DecodeExternalCapability([]byte(`{"name":"text-reversal","url":"http://127.0.0.1:1","capacity":2,"price_per_unit":3,"price_scaling":2,"currency":"WEI","token":"t"}`))
	require.NoError(t, err)
	p, err := c.PricePerSecond()
	require.NoError(t, err)
	require.Equal(t, "3/2", p.RatString())
	c.Currency = "eth"
	c.PriceScaling = 0
	p, err = c.PricePerSecond()
	require.NoError(t, err)
	require.Equal(t, "3000000000000000000", p.RatString())

	for _, body := range []string{`{`, `{"url":"x"}`, `{"name":"a"}`, `{"name":"a","url":"x","currency":"usd"}`, `{"name":"a","url":"x","capacity":-1}`} {
		_, err := DecodeExternalCapability([]byte(body))
		require.ErrorIs(t, err, ErrBadHeader, body)
	}
}

func FuzzParseJobHeader(f *testing.F) {
	f.Add("eyJyZXF1ZXN0Ijoie30iLCJ0aW1lb3V0X3NlY29uZHMiOjF9")
	f.Add("")
	f.Add("e30=")
	f.Fuzz(func(t *testing.T, h string) {
		j, err := VerifyJobHeader(h, false)
		if err == nil && j.TimeoutSeconds == 0 {
			t.Fatal("accepted a header without timeout")
		}
		_, _ = ParseEthAddressHeader(h, false)
	})
}
