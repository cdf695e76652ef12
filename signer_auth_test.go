package livepeer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// warnings is a slog handler that keeps every record at warning level or above.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, b.String())
	w.mu.Unlock()
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }
func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// TestSignerTokensExpiringDuringLiveSession is issue 17's acceptance test:
// the signer's tokens live 2 s, a live session runs 30 s paying every
// 300 ms, and no signer call fails: tokens are replaced before they expire.
func TestSignerTokensExpiringDuringLiveSession(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s session")
	}
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		SignerAuth: &livepeertest.SignerAuthConfig{TokenLifetime: 2 * time.Second},
		Live:       livepeertest.LiveConfig{DebitInterval: time.Second}})
	require.NoError(t, err)
	defer n.Close()
	warn := &warnings{}
	// No signer URL: it comes from the exchange's answer.
	gw, err := livepeer.NewGateway(livepeer.Config{DiscoveryURL: n.DiscoveryURL(),
		SignerAPIKey: livepeertest.DefaultAPIKey, BillingURL: n.BillingURL(), Logger: slog.New(warn)})
	require.NoError(t, err)
	defer gw.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil, livepeer.WithPaymentInterval(300*time.Millisecond))
	require.NoError(t, err)
	defer sess.Close()
	startPayments := n.Signer().Calls("/generate-live-payment")
	select {
	case <-sess.Done():
		t.Fatalf("the session ended: %v", sess.Err())
	case <-time.After(30 * time.Second):
	}
	require.NoError(t, sess.Close())

	payments := n.Signer().Calls("/generate-live-payment") - startPayments
	issued, refused := n.TokenExchanges()
	unauthorized := n.Signer().Unauthorized()
	t.Logf("30 s: %d payments, %d tokens issued, %d signer calls answered 401", payments, issued, unauthorized)
	for _, m := range warn.all() {
		assert.NotContains(t, m, "payment failed", "no signer call failed")
	}
	assert.GreaterOrEqual(t, payments, 20, "payments kept flowing")
	assert.GreaterOrEqual(t, issued, 10, "2 s tokens were replaced all along")
	assert.Zero(t, refused)
	// Tokens are replaced ahead of expiry: a 401 (then retried with a fresh
	// token) is the exception, not once per token as without refresh.
	assert.LessOrEqual(t, unauthorized*3, issued, "tokens were not replaced before they expired")
}

func TestSignerAPIKeyConfig(t *testing.T) {
	src := signer.TokenSourceFunc(func(context.Context) (signer.Token, error) { return signer.Token{AccessToken: "x"}, nil })
	for _, tc := range []struct {
		name  string
		cfg   livepeer.Config
		field string
	}{
		{"key without billing", livepeer.Config{SignerAPIKey: "k"}, "BillingURL"},
		{"billing without key", livepeer.Config{BillingURL: "https://b", SignerURL: "https://s"}, "SignerAPIKey"},
		{"both sources", livepeer.Config{SignerAPIKey: "k", BillingURL: "https://b", SignerTokenSource: src}, "SignerTokenSource"},
		{"authorization header", livepeer.Config{SignerTokenSource: src, SignerHeaders: map[string]string{"authorization": "Bearer y"}}, "SignerHeaders"},
		{"bad billing URL", livepeer.Config{SignerAPIKey: "k", BillingURL: "ftp://b"}, "BillingURL"},
	} {
		_, err := livepeer.NewGateway(tc.cfg)
		var ce *livepeer.ConfigError
		require.ErrorAs(t, err, &ce, tc.name)
		assert.Equal(t, tc.field, ce.Field, tc.name)
		assert.NotContains(t, err.Error(), "Bearer y")
	}
	// A key alone is a complete configuration: the signer (and its
	// discovery) come from the exchange.
	gw, err := livepeer.NewGateway(livepeer.Config{SignerAPIKey: "k", BillingURL: "https://billing.example"})
	require.NoError(t, err)
	assert.False(t, gw.Signer().Offchain())
	require.NoError(t, gw.Close())
}

func TestSignerAPIKeyRun(t *testing.T) {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		SignerAuth: &livepeertest.SignerAuthConfig{},
		Workers:    map[string]http.Handler{"text-reversal": worker.TextReversal()}})
	require.NoError(t, err)
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The token's signer URL, and tokens from the exchange.
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token(), SignerAPIKey: livepeertest.DefaultAPIKey, BillingURL: n.BillingURL()})
	require.NoError(t, err)
	defer gw.Close()
	res, err := gw.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
	require.NoError(t, err)
	assert.True(t, bytes.Contains(res.Body, []byte("cba")), "%s", res.Body)
	issued, _ := n.TokenExchanges()
	assert.Equal(t, 1, issued, "one token serves every call while it is fresh")
	assert.Zero(t, n.Signer().Unauthorized())

	// Without credentials the same signer refuses.
	plain, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
	require.ErrorIs(t, err, livepeer.ErrUnauthorized)

	// A wrong key: the exchange's refusal, typed.
	bad, err := livepeer.NewGateway(livepeer.Config{Token: n.Token(), SignerAPIKey: "pmth_wrong", BillingURL: n.BillingURL()})
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.Run(ctx, "text-reversal", map[string]string{"text": "abc"})
	require.ErrorIs(t, err, livepeer.ErrUnauthorized)
	var xe *signer.ExchangeError
	require.True(t, errors.As(err, &xe), "%v", err)
	assert.Equal(t, http.StatusUnauthorized, xe.StatusCode)
	assert.NotContains(t, err.Error(), "pmth_wrong")
	_, refused := n.TokenExchanges()
	assert.Positive(t, refused)
}
