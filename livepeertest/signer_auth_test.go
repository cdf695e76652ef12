package livepeertest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchange posts body to the network's exchange and decodes the answer.
func exchange(t *testing.T, n *Network, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(n.BillingURL()+ExchangePath, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

// signWith calls the signer's /sign-orchestrator-info with an Authorization header.
func signWith(t *testing.T, n *Network, authorization string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, n.SignerURL()+"/sign-orchestrator-info", strings.NewReader("{}"))
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestSignerAuthTokens(t *testing.T) {
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1, SignerAuth: &SignerAuthConfig{APIKey: "pmth_k", TokenLifetime: time.Second}})
	require.NoError(t, err)
	defer n.Close()

	assert.Equal(t, http.StatusUnauthorized, signWith(t, n, ""), "no token")
	assert.Equal(t, http.StatusUnauthorized, signWith(t, n, "Bearer made-up"), "unknown token")

	st, m := exchange(t, n, `{"apiKey":"pmth_other","scope":"sign:job"}`)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "invalid_client", m["error"])
	st, m = exchange(t, n, `{"apiKey":"pmth_k","scope":"admin"}`)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_scope", m["error"])
	st, _ = exchange(t, n, `not json`)
	assert.Equal(t, http.StatusBadRequest, st)

	st, m = exchange(t, n, `{"apiKey":"pmth_k","clientId":"app","scope":"sign:job"}`)
	require.Equal(t, http.StatusOK, st)
	tok, _ := m["access_token"].(string)
	require.NotEmpty(t, tok)
	assert.Equal(t, "Bearer", m["token_type"])
	assert.EqualValues(t, 1, m["expires_in"])
	assert.Equal(t, n.SignerURL(), m["signerUrl"])
	nested, _ := m["token"].(map[string]any)
	assert.Equal(t, tok, nested["accessToken"])
	assert.Equal(t, http.StatusOK, signWith(t, n, "Bearer "+tok))

	// Time only moves forward: once its lifetime has passed, the token is refused.
	time.Sleep(1100 * time.Millisecond)
	assert.Equal(t, http.StatusUnauthorized, signWith(t, n, "Bearer "+tok), "expired token")
	assert.Equal(t, 3, n.Signer().Unauthorized())
	issued, refused := n.TokenExchanges()
	assert.Equal(t, 1, issued)
	assert.Equal(t, 3, refused)
}

func TestSignerAuthConfig(t *testing.T) {
	_, err := NewNetwork(NetworkConfig{Offchain: true, SignerAuth: &SignerAuthConfig{}})
	require.Error(t, err)
	_, err = NewNetwork(NetworkConfig{SignerAuth: &SignerAuthConfig{TokenLifetime: 1500 * time.Millisecond}})
	require.Error(t, err, "whole seconds only (expires_in is an integer)")
	n, err := NewNetwork(NetworkConfig{Orchestrators: 1})
	require.NoError(t, err)
	defer n.Close()
	assert.Empty(t, n.BillingURL(), "no exchange without SignerAuth")
	assert.Equal(t, http.StatusOK, signWith(t, n, ""), "no auth without SignerAuth")
}
