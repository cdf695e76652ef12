package livepeer

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseToken(t *testing.T) {
	tok, err := ParseToken(b64(`{"orchestrators":[" a:1 ","https://b:2"],"signer":"https://signer","signer_headers":{"Authorization":"Bearer x"},` +
		`"discovery":"https://disc/list","discovery_headers":{"X-Key":"k"},"unknown":{"x":[1]}}`))
	require.NoError(t, err)
	require.Equal(t, Token{
		Orchestrators:    []string{"a:1", "https://b:2"},
		Signer:           "https://signer",
		SignerHeaders:    map[string]string{"Authorization": "Bearer x"},
		Discovery:        "https://disc/list",
		DiscoveryHeaders: map[string]string{"X-Key": "k"},
	}, tok)

	tok, err = ParseToken("  " + b64(`{"orchestrators":[],"signer":null,"signer_headers":{}}`) + "\n")
	require.NoError(t, err)
	require.NotNil(t, tok.Orchestrators)
	require.Empty(t, tok.Orchestrators)
	require.Empty(t, tok.Signer)
	require.NotNil(t, tok.SignerHeaders)

	tok, err = ParseToken(b64(`{}`))
	require.NoError(t, err)
	require.Nil(t, tok.Orchestrators)
	require.Nil(t, tok.SignerHeaders)
}

func TestParseTokenErrors(t *testing.T) {
	urlSafe := base64.URLEncoding.EncodeToString([]byte(`{"signer":"https://s/??>>"}`))
	require.True(t, strings.ContainsAny(urlSafe, "-_"), "test needs URL-safe characters")
	cases := []struct {
		name, token, field, reason string
	}{
		{"empty", "", "", "empty token"},
		{"not base64", "not base64!", "", "base64"},
		{"url-safe", urlSafe, "", "base64"},
		{"no padding", strings.TrimRight(b64(`{"a":1}`), "="), "", "base64"},
		{"inner space", b64(`{}`)[:2] + " " + b64(`{}`)[2:], "", "base64"},
		{"not utf8", base64.StdEncoding.EncodeToString([]byte("{\"signer\":\"\xff\"}")), "", "UTF-8"},
		{"not json", b64(`{"signer":`), "", "JSON"},
		{"array", b64(`["a"]`), "", "JSON object"},
		{"string", b64(`"x"`), "", "JSON object"},
		{"null", b64(`null`), "", "JSON object"},
		{"orchestrators not array", b64(`{"orchestrators":"a:1,b:2"}`), "orchestrators", "array of strings"},
		{"orchestrators number", b64(`{"orchestrators":[1]}`), "orchestrators", "non-empty strings"},
		{"orchestrators blank", b64(`{"orchestrators":["a:1","  "]}`), "orchestrators", "non-empty strings"},
		{"signer number", b64(`{"signer":5}`), "signer", "must be a string"},
		{"signer empty", b64(`{"signer":" "}`), "signer", "empty"},
		{"discovery object", b64(`{"discovery":{}}`), "discovery", "must be a string"},
		{"signer_headers list", b64(`{"signer_headers":["a"]}`), "signer_headers", "{string: string}"},
		{"signer_headers number value", b64(`{"signer_headers":{"a":1}}`), "signer_headers", "{string: string}"},
		{"discovery_headers string", b64(`{"discovery_headers":"a"}`), "discovery_headers", "{string: string}"},
		{"header name", b64(`{"signer_headers":{"Bad Name":"v"}}`), "signer_headers", "invalid header name"},
		{"header value", b64(`{"discovery_headers":{"X":"a\r\nInjected: 1"}}`), "discovery_headers", "invalid character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseToken(c.token)
			require.Error(t, err)
			require.ErrorIs(t, err, ErrInvalidToken)
			var te *TokenError
			require.ErrorAs(t, err, &te)
			require.Equal(t, c.field, te.Field)
			require.Contains(t, err.Error(), c.reason)
			if c.field != "" {
				require.Contains(t, err.Error(), c.field)
			}
		})
	}
}

func TestTokenEncodeRoundTrip(t *testing.T) {
	for _, tok := range []Token{
		{},
		{Orchestrators: []string{}},
		{Orchestrators: []string{"a:1"}, Signer: "https://s", SignerHeaders: map[string]string{"A": "b"},
			Discovery: "https://d", DiscoveryHeaders: map[string]string{}},
	} {
		s := tok.Encode()
		_, err := base64.StdEncoding.Strict().DecodeString(s)
		require.NoError(t, err)
		back, err := ParseToken(s)
		require.NoError(t, err)
		require.Equal(t, tok, back)
	}
	raw, _ := base64.StdEncoding.DecodeString(Token{Orchestrators: []string{}}.Encode())
	require.JSONEq(t, `{"orchestrators":[]}`, string(raw))
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{
		b64(`{"orchestrators":["a:1"],"signer":"https://s","signer_headers":{"A":"b"},"discovery":"d","discovery_headers":{}}`),
		b64(`{"orchestrators":[]}`), b64(`[]`), b64(`{"signer":1}`), "", "@@", b64("{\"a\":\"\xff\"}"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			var te *TokenError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for _, a := range tok.Orchestrators {
			if strings.TrimSpace(a) != a || a == "" {
				t.Fatalf("untrimmed orchestrator %q", a)
			}
		}
		back, err := ParseToken(tok.Encode())
		if err != nil {
			t.Fatalf("re-encoded token rejected: %v", err)
		}
		if len(back.Orchestrators) != len(tok.Orchestrators) || back.Signer != tok.Signer || back.Discovery != tok.Discovery ||
			(back.Orchestrators == nil) != (tok.Orchestrators == nil) {
			t.Fatalf("round trip changed the token: %+v -> %+v", tok, back)
		}
	})
}
