package signer

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
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
		_, err := New(Config{URLs: []string{in}})
		require.Error(t, err, in)
		assert.True(t, errors.Is(err, lperr.ErrInvalidConfig), in)
		var ce *lperr.ConfigError
		require.ErrorAs(t, err, &ce, in)
		assert.Equal(t, "URLs", ce.Field)
	}
	_, err := New(Config{URLs: []string{"http://a", "ftp://b"}})
	var ce *lperr.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "URLs[1]", ce.Field)

	_, err = New(Config{URLs: []string{"http://a"}, MaxRetries: -2})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = New(Config{URLs: []string{"http://a"}, Timeout: -1})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
	_, err = New(Config{URLs: []string{"http://a"}, RetryWaitMin: 2 * time.Second, RetryWaitMax: time.Second})
	require.ErrorIs(t, err, lperr.ErrInvalidConfig)
}

func TestURLsRedacted(t *testing.T) {
	c, err := New(Config{URLs: []string{"https://user:secret@host/p", "http://b"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"https://user:xxxxx@host/p", "http://b"}, c.URLs())
	assert.False(t, c.Offchain())

	off, err := New(Config{})
	require.NoError(t, err)
	assert.True(t, off.Offchain())
	assert.True(t, Offchain().Offchain())
	assert.Empty(t, off.URLs())
}
