package main

import (
	"context"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCardShowsOutOfCreditServerSide: with the budget used up, the card
// page renders the shared ErrorState from the server template, figures in
// the detail, before any run is tried.
func TestCardShowsOutOfCreditServerSide(t *testing.T) {
	a, err := startApp(context.Background(), appConfig{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "pg.db"), TrialBudgetWei: big.NewInt(1_000_000_000_000_000),
		BcryptCost: 4, SignerHeaders: map[string]string{}, DisableLiveRuns: true,
	})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	b := newBrowser(t, a.URL)
	b.signUp("broke@example.com", "correct horse battery")
	_, body := b.get("/models/daydreamlive/streamdiffusion")
	require.NotContains(t, body, `class="error-state"`, "credit left: no error")

	u, err := a.Store.UserByEmail(context.Background(), "broke@example.com")
	require.NoError(t, err)
	require.NoError(t, a.Store.SetCap(context.Background(), u.ID, 0))
	_, body = b.get("/models/daydreamlive/streamdiffusion")
	require.Contains(t, body, `<div class="error-state" data-kind="out-of-credit" role="alert">`)
	require.Contains(t, body, `<p class="error-detail">Your free trial budget is used up: cap 0 ETH, used 0 ETH.</p>`)
	require.Contains(t, body, `<a href="/keys">See your usage and keys</a>`)
}
