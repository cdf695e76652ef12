package livepeer

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

func TestResolvePrecedence(t *testing.T) {
	full := Token{
		Orchestrators:    []string{"tok:1"},
		Signer:           "https://tok-signer",
		SignerHeaders:    map[string]string{"T": "1"},
		Discovery:        "https://tok-disc",
		DiscoveryHeaders: map[string]string{"TD": "1"},
	}.Encode()
	explicit := Config{
		SignerURL:          "https://my-signer",
		SignerFallbackURLs: []string{"https://backup"},
		SignerHeaders:      map[string]string{"E": "1"},
		DiscoveryURL:       "https://my-disc",
		DiscoveryHeaders:   map[string]string{"ED": "1"},
		Orchestrators:      []string{" my:1 ", "", "https://my:2"},
	}

	// Token values win.
	cfg := explicit
	cfg.Token = full
	s, err := resolve(cfg)
	require.NoError(t, err)
	require.Equal(t, []string{"https://tok-signer", "https://backup"}, s.signerURLs)
	require.Equal(t, map[string]string{"T": "1"}, s.signerHeaders)
	require.Equal(t, []string{"tok:1"}, s.orchestrators)
	require.Equal(t, "https://tok-disc", s.discoveryURL)
	require.Equal(t, map[string]string{"TD": "1"}, s.discoveryHeaders)

	// Explicit values fill the gaps.
	s, err = resolve(explicit)
	require.NoError(t, err)
	require.Equal(t, []string{"https://my-signer", "https://backup"}, s.signerURLs)
	require.Equal(t, []string{"my:1", "https://my:2"}, s.orchestrators)
	require.Equal(t, "https://my-disc", s.discoveryURL)
	require.Equal(t, map[string]string{"ED": "1"}, s.discoveryHeaders)
	require.Equal(t, DefaultOrchestratorTimeout, s.orchTimeout)
	require.Equal(t, DefaultRequestTimeout, s.requestTimeout)
	require.Equal(t, DefaultMaxRetries, s.maxRetries)

	// An empty token list shadows the explicit one (then discovery is used).
	cfg = explicit
	cfg.Token = Token{Orchestrators: []string{}, SignerHeaders: map[string]string{}}.Encode()
	s, err = resolve(cfg)
	require.NoError(t, err)
	require.Empty(t, s.orchestrators)
	require.Equal(t, "https://my-disc", s.discoveryURL)
	require.Empty(t, s.signerHeaders, "present empty token headers shadow the explicit ones")

	// Copies, not aliases.
	s, err = resolve(explicit)
	require.NoError(t, err)
	explicit.SignerHeaders["E"] = "changed"
	require.Equal(t, "1", s.signerHeaders["E"])
}

func TestNewGatewaySources(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Orchestrators: []string{"a:1"}, DiscoveryURL: "https://d", SignerURL: "https://s"}, "*discovery.ListSource"},
		{Config{DiscoveryURL: "https://d", SignerURL: "https://s"}, "*discovery.Endpoint"},
		{Config{Token: Token{Discovery: "https://td"}.Encode(), Orchestrators: []string{"a:1"}}, "*discovery.ListSource"},
		{Config{Token: Token{Orchestrators: []string{}, Discovery: "https://td"}.Encode(), Orchestrators: []string{"a:1"}}, "*discovery.Endpoint"},
		{Config{SignerURL: "https://s"}, "*signer.Source"},
		{Config{Token: Token{Signer: "https://s"}.Encode()}, "*signer.Source"},
	}
	for i, c := range cases {
		gw, err := NewGateway(c.cfg)
		require.NoError(t, err, i)
		var got string
		switch gw.Source().(type) {
		case *discovery.ListSource:
			got = "*discovery.ListSource"
		case *discovery.Endpoint:
			got = "*discovery.Endpoint"
		case *signer.Source:
			got = "*signer.Source"
		}
		require.Equal(t, c.want, got, i)
		require.NoError(t, gw.Close())
	}
	gw, err := NewGateway(Config{Orchestrators: []string{"a:1"}})
	require.NoError(t, err)
	require.True(t, gw.Signer().Offchain())
	require.NoError(t, gw.Close())
	require.NoError(t, gw.Close())
}

func TestNewGatewayErrors(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no source", Config{}, "Orchestrators"},
		{"only headers", Config{SignerHeaders: map[string]string{"a": "b"}}, "Orchestrators"},
		{"empty token list, no other source", Config{Token: Token{Orchestrators: []string{}}.Encode(), Orchestrators: []string{"a:1"}}, "Orchestrators"},
		{"bad orchestrator", Config{Orchestrators: []string{"a:1", "http://b:2"}}, "Orchestrators[1]"},
		{"bad token orchestrator", Config{Token: Token{Orchestrators: []string{"nope"}}.Encode()}, "Token.orchestrators[0]"},
		{"bad signer url", Config{SignerURL: "ftp://s"}, "SignerURL"},
		{"bad fallback", Config{SignerURL: "https://s", SignerFallbackURLs: []string{" "}}, "SignerFallbackURLs[0]"},
		{"fallback without primary", Config{Orchestrators: []string{"a:1"}, SignerFallbackURLs: []string{"https://b"}}, "SignerURL"},
		{"bad discovery", Config{DiscoveryURL: "ftp://d"}, "DiscoveryURL"},
		{"bad token discovery", Config{Token: Token{Discovery: "gopher://d"}.Encode()}, "Token.discovery"},
		{"bad signer header", Config{SignerURL: "https://s", SignerHeaders: map[string]string{"a b": "c"}}, "SignerHeaders"},
		{"bad discovery header", Config{DiscoveryURL: "https://d", DiscoveryHeaders: map[string]string{"X": "a\nb"}}, "DiscoveryHeaders"},
		{"negative orch timeout", Config{Orchestrators: []string{"a:1"}, OrchestratorTimeout: -time.Second}, "OrchestratorTimeout"},
		{"negative request timeout", Config{Orchestrators: []string{"a:1"}, RequestTimeout: -1}, "RequestTimeout"},
		{"retries", Config{Orchestrators: []string{"a:1"}, MaxRetries: -2}, "MaxRetries"},
		{"price", Config{Orchestrators: []string{"a:1"}, MaxPrice: big.NewRat(-1, 1)}, "MaxPrice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw, err := NewGateway(c.cfg)
			require.Nil(t, gw)
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, c.field, ce.Field, err.Error())
		})
	}
	_, err := NewGateway(Config{Token: "%%%", Orchestrators: []string{"a:1"}})
	require.ErrorIs(t, err, ErrInvalidToken)
}
