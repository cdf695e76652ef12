package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

// Exit codes come from the SDK's typed errors (errors.Is / As), wrapped
// or not; a NoOrchestratorError whose rejections share a cause says that
// cause.
func TestDescribe(t *testing.T) {
	noOrch := func(causes ...error) error {
		e := &livepeer.NoOrchestratorError{Capability: "byoc/x"}
		for i, c := range causes {
			e.Rejections = append(e.Rejections, livepeer.Rejection{Orchestrator: fmt.Sprintf("o%d:8935", i), Err: c})
		}
		return fmt.Errorf("livepeer: run: %w", e)
	}
	wrap := func(sentinel error) error { return fmt.Errorf("orchestrator said no: %w", sentinel) }
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	timedOut, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	live := context.Background()
	for _, c := range []struct {
		err  error
		code int
		want string
	}{
		{nil, exitOK, ""},
		{noOrch(wrap(livepeer.ErrCapabilityNotOffered), wrap(livepeer.ErrCapabilityNotOffered)), exitNoOrchestrator, "no orchestrator offers byoc/x"},
		{noOrch(), exitNoOrchestrator, "no orchestrator offers byoc/x"},
		{noOrch(wrap(livepeer.ErrCapabilityNotOffered), wrap(livepeer.ErrOrchestratorUnavailable)), exitNoOrchestrator, "no orchestrator could serve byoc/x"},
		{noOrch(wrap(livepeer.ErrPriceExceeded)), exitNoOrchestrator, "priced above the ceiling"},
		{noOrch(wrap(livepeer.ErrSignerUnavailable), wrap(livepeer.ErrSignerUnavailable)), exitService, "remote signer"},
		{noOrch(wrap(livepeer.ErrInsufficientBalance)), exitNoCredit, "out of credit"},
		{wrap(livepeer.ErrUnauthorized), exitService, "refused the credentials"},
		{wrap(livepeer.ErrDiscoveryUnavailable), exitService, "discovery endpoint"},
		{fmt.Errorf("x: %w", &livepeer.JobError{Capability: "c", Orchestrator: "o", StatusCode: 500, Message: "boom\nline two"}), exitJobFailed, "failed on the worker of c at o (status 500): boom line two"},
		{&livepeer.TokenError{Field: "signer", Reason: "must be a string"}, exitUsage, "gateway token is malformed"},
		{&livepeer.ConfigError{Field: "capability", Reason: `"x/y" is not a BYOC capability`}, exitUsage, "lpgw orchestrators lists"},
		{&livepeer.ConfigError{Field: "SignerURL", Reason: "bad"}, exitUsage, "SignerURL"},
		{&livepeer.CapabilityError{Input: "zz/y", Reason: "unknown pipeline"}, exitUsage, `"zz/y" is not a capability`},
		{wrap(livepeer.ErrSessionEnded), exitFailure, "ended the live session"},
		{&usageError{cmd: "run", msg: "bad"}, exitUsage, "bad (see lpgw run --help)"},
		{&inputError{what: "input", err: errors.New("not valid JSON")}, exitUsage, "input: not valid JSON"},
		{errors.New("something else"), exitFailure, "something else"},
		// Ctrl-C and --timeout are told from the command's context, not
		// from a deadline inside the error (an orchestrator that timed out).
		{finish(canceled, noOrch(wrap(context.DeadlineExceeded))), exitInterrupted, "interrupted"},
		{finish(timedOut, wrap(context.DeadlineExceeded)), exitTimeout, "timed out (--timeout)"},
		{finish(live, noOrch(wrap(context.DeadlineExceeded))), exitNoOrchestrator, "no orchestrator could serve"},
	} {
		code, line := describe(c.err)
		require.Equal(t, c.code, code, "%v: %s", c.err, line)
		require.Contains(t, line, c.want, "%v", c.err)
		require.NotContains(t, line, "\n")
		require.Equal(t, code, exitCode(c.err))
	}
	_, line := describe(errors.New(strings.Repeat("x", 1000)))
	require.Equal(t, 400, len([]rune(line)))
}

func TestParseBudget(t *testing.T) {
	for in, want := range map[string]string{"1e15": "1000000000000000", "0": "0", "12345": "12345", "1000000000000000000": "1000000000000000000"} {
		b, err := parseBudget(in)
		require.NoError(t, err, in)
		require.Equal(t, want, b.String())
	}
	b, err := parseBudget("unlimited")
	require.NoError(t, err)
	require.Nil(t, b)
	for _, in := range []string{"", "-1", "1.5", "lots", "1e-3"} {
		_, err := parseBudget(in)
		require.Error(t, err, in)
	}
}
