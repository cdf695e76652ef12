package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// On the in-process network: the HTTP answer, three events, a WebSocket
// echo, a payment on the timer and "stopped", in that order.
func TestSessionSteps(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-payment-interval", "200ms"}, &out, &errOut), errOut.String())
	s := out.String()
	require.Regexp(t, `(?s)reserved session \S+ of example/echo on https://127\.0\.0\.1:\d+ \(price 400000000000 wei/seconds\)\n`+
		`app URL https://\S+/app\n`+
		`HTTP GET echo/hello\?from=go → 200, \d+ bytes: \{"method":"GET","path":"/echo/hello"`, s)
	require.Equal(t, 3, strings.Count(s, "SSE event: {\"tick\":"))
	require.Contains(t, s, "SSE stream ended after 3 events\n")
	require.Contains(t, s, "WebSocket echo: hello over a WebSocket\n")
	require.Regexp(t, `payments accepted: \d+ \(the reservation's and \d+ on the timer\)\n`, s)
	require.True(t, strings.HasSuffix(s, "stopped\n"), s)
	require.NotContains(t, errOut.String(), "warning")
}

func TestUnknownAppFails(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-app", "no/such-app"}, &out, &out)
	require.ErrorContains(t, err, "no matching live runner")
}
