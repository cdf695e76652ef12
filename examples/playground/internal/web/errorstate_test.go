package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
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

// TestErrorStateCopy checks every variant's copy: a short headline, one
// sentence of detail, a next step; the raw chain never in the main text.
func TestErrorStateCopy(t *testing.T) {
	for k, e := range ErrorCatalog() {
		require.LessOrEqual(t, len(e.Title), 30, "%s: short headline", k)
		require.True(t, strings.HasSuffix(e.Detail, "."), "%s: detail is a sentence: %q", k, e.Detail)
		require.NotContains(t, strings.TrimSuffix(e.Detail, "."), ". ", "%s: one sentence: %q", k, e.Detail)
		require.NotEmpty(t, e.Action, k)
		require.Empty(t, e.Raw, k)
	}
	err := fmt.Errorf("live: payment: %w", &livepeer.APIError{Op: "signer", StatusCode: 483, Message: "insufficient balance: trial budget exhausted (cap 0.001 ETH)", Kind: livepeer.ErrInsufficientBalance})
	e := ErrorStateFor(err)
	require.Equal(t, OutOfCredit, e.Kind)
	require.Equal(t, err.Error(), e.Raw, "the chain goes to Raw")
	require.NotContains(t, e.Detail, "live: payment", "not in the main text")
}

func TestOutOfCreditStateFigures(t *testing.T) {
	e := OutOfCreditState(1_000_000_000_000_000, 999_999_999_999_999)
	require.Equal(t, OutOfCredit, e.Kind)
	require.Equal(t, "Your free trial budget is used up: cap 0.001 ETH, used 0.000999999 ETH.", e.Detail)
	require.Equal(t, "/keys", e.ActionHref)
}

// TestErrorStateTemplate renders the server's "errorstate" template: the
// raw chain sits in a collapsed <details>, apart from the detail.
func TestErrorStateTemplate(t *testing.T) {
	tmpl, err := template.New("").Funcs(templateFuncs).ParseFS(assets, "templates/*.html")
	require.NoError(t, err)
	e := OutOfCreditState(2_000_000_000_000_000, 1_500_000_000_000_000)
	e.Raw = "signer: HTTP 483: insufficient balance <b>"
	var buf bytes.Buffer
	require.NoError(t, tmpl.ExecuteTemplate(&buf, "errorstate", e))
	html := buf.String()
	require.Contains(t, html, `data-kind="out-of-credit"`)
	require.Contains(t, html, `<h3 class="error-title">Out of credit</h3>`)
	require.Contains(t, html, `<p class="error-detail">Your free trial budget is used up: cap 0.002 ETH, used 0.0015 ETH.</p>`)
	require.Contains(t, html, `<a href="/keys">See your usage and keys</a>`)
	require.Regexp(t, `<details class="error-raw"><summary>Details</summary><pre>signer: HTTP 483: insufficient balance &lt;b&gt;</pre></details>`, html)
	require.NotContains(t, html, "<details open")

	buf.Reset()
	require.NoError(t, tmpl.ExecuteTemplate(&buf, "errorstate", NewErrorState(SignerDown, "")))
	require.NotContains(t, buf.String(), "<details", "no details element without a raw chain")
}
