package signer

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewURLs(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"signer.example:8935", "https://signer.example:8935/generate-live-payment"},
		{"http://127.0.0.1:8935", "http://127.0.0.1:8935/generate-live-payment"},
		{"http://127.0.0.1:8935/", "http://127.0.0.1:8935/generate-live-payment"},
		{"https://host/api/signer", "https://host/api/signer/generate-live-payment"},
		{"https://host/api/signer/", "https://host/api/signer/generate-live-payment"},
		{"https://host/api/signer/generate-live-payment", "https://host/api/signer/generate-live-payment"},
		{"https://host/api/signer/sign-orchestrator-info", "https://host/api/signer/generate-live-payment"},
		{"HTTPS://host/x?key=1", "https://host/x/generate-live-payment?key=1"},
	}
	for _, tc := range cases {
		u, err := parseBase("SignerURL", tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, endpoint(u, pathLivePayment).String(), tc.in)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, in := range []string{"", "  ", "ftp://host", "https://", "http://:80", "https://host/#frag", "http://[::1"} {
		_, err := New([]string{in})
		require.Error(t, err, in)
		assert.True(t, errors.Is(err, ErrInvalidConfig), in)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, in)
		assert.Equal(t, "SignerURL", ce.Field)
	}
	_, err := New([]string{"http://a", "ftp://b"})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "SignerURL[1]", ce.Field)

	_, err = New([]string{"http://a"}, WithRetry(-1, 0, 0))
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = New([]string{"http://a"}, WithTimeout(0))
	require.ErrorIs(t, err, ErrInvalidConfig)
}

func TestURLsRedacted(t *testing.T) {
	c, err := New([]string{"https://user:secret@host/p", "http://b"})
	require.NoError(t, err)
	assert.Equal(t, []string{"https://user:xxxxx@host/p", "http://b"}, c.URLs())
	assert.False(t, c.Offchain())

	off, err := New(nil)
	require.NoError(t, err)
	assert.True(t, off.Offchain())
	assert.True(t, Offchain().Offchain())
	assert.Empty(t, off.URLs())
}
