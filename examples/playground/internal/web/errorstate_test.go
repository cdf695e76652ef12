package web

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go"
)

func TestErrorStateForStatus(t *testing.T) {
	for status, want := range map[int]ErrorKind{480: PaymentFailed, 481: PriceTooHigh, 483: OutOfCredit, 402: OutOfCredit, 401: SignedOut, 403: SignedOut, 500: SignerDown, 503: SignerDown, 400: PaymentFailed} {
		e, ok := ErrorStateForStatus(status)
		require.True(t, ok, status)
		require.Equal(t, want, e.Kind, status)
		require.NotEmpty(t, e.Action, "every variant has a next step")
	}
	_, ok := ErrorStateForStatus(482)
	require.False(t, ok, "482 is not an error")
}

func TestErrorStateFor(t *testing.T) {
	for err, want := range map[error]ErrorKind{
		fmt.Errorf("x: %w", livepeer.ErrInsufficientBalance): OutOfCredit,
		fmt.Errorf("x: %w", livepeer.ErrPaymentFailed):       PaymentFailed,
		fmt.Errorf("x: %w", livepeer.ErrPriceExceeded):       PriceTooHigh,
		fmt.Errorf("x: %w", livepeer.ErrNoOrchestrator):      NoOrchestrator,
		fmt.Errorf("x: %w", livepeer.ErrSignerUnavailable):   SignerDown,
		fmt.Errorf("x: %w", livepeer.ErrUnauthorized):        SignedOut,
	} {
		require.Equal(t, want, ErrorStateFor(err).Kind, err.Error())
	}
	for k, e := range ErrorCatalog() {
		require.Equal(t, k, e.Kind)
		require.NotEmpty(t, e.Title)
		require.NotEmpty(t, e.Action)
	}
}
