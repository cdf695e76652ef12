package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	livepeer "github.com/livepeer/livepeer-go-gateway"
)

// Exit codes: decided here only, from the SDK's typed errors.
const (
	exitOK             = 0
	exitFailure        = 1   // anything not classified below
	exitUsage          = 2   // bad flags, arguments, token or input
	exitNoOrchestrator = 3   // no orchestrator can serve the request (unknown capability, changed pinned key included)
	exitNoCredit       = 4   // the payer is out of credit
	exitService        = 5   // the signer or discovery endpoint is unreachable or refused the credentials
	exitJobFailed      = 6   // the job reached the worker and failed there
	exitTimeout        = 124 // --timeout passed (as timeout(1))
	exitInterrupted    = 130 // Ctrl-C (128 + SIGINT)
)

// exitCodes documents the codes (lpgw help).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success (devnet and live also after Ctrl-C)"},
	{exitFailure, "failure"},
	{exitUsage, "bad usage, arguments, token or input (malformed JSON...)"},
	{exitNoOrchestrator, "no orchestrator can serve the request (unknown capability, none reachable, a pinned TLS key changed)"},
	{exitNoCredit, "out of credit: the signer will not pay for more"},
	{exitService, "the remote signer or discovery endpoint is unreachable or refused the credentials"},
	{exitJobFailed, "the job reached the worker and failed there"},
	{exitTimeout, "--timeout passed"},
	{exitInterrupted, "interrupted (Ctrl-C) before the job finished"},
}

// exitCode is the process exit status for run's error.
func exitCode(err error) int {
	code, _ := describe(err)
	return code
}

// usageError is a bad command line.
type usageError struct {
	cmd string // the subcommand, "" for the top level
	msg string
}

func (e *usageError) Error() string {
	if e.cmd == "" {
		return e.msg + " (see lpgw help)"
	}
	return e.msg + " (see lpgw " + e.cmd + " --help)"
}

// inputError is request data that cannot be sent (malformed JSON, an
// unreadable @file).
type inputError struct {
	what string // "input", "--param prompt=..."
	err  error
}

func (e *inputError) Error() string { return e.what + ": " + e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// stoppedError is an operation cut short by the command's own context:
// Ctrl-C or --timeout. It is told apart from a deadline inside the SDK
// (an orchestrator that timed out) by asking the context, not the error.
type stoppedError struct {
	timeout bool
	err     error
}

func (e *stoppedError) Error() string { return e.err.Error() }
func (e *stoppedError) Unwrap() error { return e.err }

// finish marks err as stopped when ctx (the command's context) ended.
func finish(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	return &stoppedError{timeout: errors.Is(ctx.Err(), context.DeadlineExceeded), err: err}
}

// describe classifies err: its exit code and one line saying what happened
// and what to do. The order matters: a NoOrchestratorError also matches the
// causes of its rejections (signer down, out of credit), which say more.
func describe(err error) (int, string) {
	var (
		ue   *usageError
		ie   *inputError
		se   *stoppedError
		te   *livepeer.TokenError
		cape *livepeer.CapabilityError
		ce   *livepeer.ConfigError
		noe  *livepeer.NoOrchestratorError
		je   *livepeer.JobError
		sje  *livepeer.StreamError
		ine  *livepeer.InputError
		pe   *livepeer.PipelineError
		mme  *livepeer.CertificateMismatchError
	)
	switch {
	case err == nil:
		return exitOK, ""
	case errors.As(err, &ue):
		return exitUsage, oneLine(ue.Error())
	case errors.As(err, &ie):
		return exitUsage, oneLine(ie.Error())
	case errors.As(err, &se) && se.timeout:
		return exitTimeout, "timed out (--timeout): " + oneLine(se.err.Error())
	case errors.As(err, &se):
		return exitInterrupted, "interrupted"
	case errors.As(err, &te):
		return exitUsage, oneLine(fmt.Sprintf("the gateway token is malformed (%s): copy it again from lpgw devnet or your provider", te.Error()))
	case errors.As(err, &cape):
		return exitUsage, oneLine(fmt.Sprintf("%q is not a capability (%s): use pipeline/model or a BYOC name; lpgw orchestrators lists what the network offers", cape.Input, cape.Reason))
	case errors.As(err, &ce) && ce.Field == "capability":
		return exitUsage, oneLine(ce.Reason + ": lpgw orchestrators lists what the network offers")
	case errors.Is(err, livepeer.ErrInvalidCapability):
		return exitUsage, oneLine(err.Error() + ": use pipeline/model, runner/APP or a BYOC name; lpgw orchestrators lists what the network offers")
	case errors.As(err, &ine):
		return exitUsage, oneLine(describeInputError(ine))
	case errors.As(err, &pe) && errors.Is(err, livepeer.ErrBadInput):
		return exitUsage, oneLine(fmt.Sprintf("%s at %s refused the request as bad input: %s", pe.Capability, pe.Orchestrator, pe.Message))
	case errors.Is(err, livepeer.ErrInsufficientBalance):
		return exitNoCredit, "out of credit: the signer will not pay for more. Top up the account behind your token " +
			"(on lpgw devnet: curl -X POST 'CONTROL/signer/balance?wei=...', or restart it with a larger --budget)"
	case errors.Is(err, livepeer.ErrUnauthorized):
		return exitService, oneLine("the signer or discovery endpoint refused the credentials: check --token, --signer-header or --signer-api-key and --billing-url (" + err.Error() + ")")
	case errors.Is(err, livepeer.ErrSignerUnavailable):
		where, why := "", rootCause(err)
		var sge *livepeer.SignerError
		if errors.As(err, &sge) {
			where, why = " at "+sge.Signer, sge.Op+": "+rootCause(sge.Err)
		}
		return exitService, oneLine("the remote signer" + where + " is unreachable or failing (" + why + "): check --signer or the token, and that the signer (or lpgw devnet) is running")
	case errors.Is(err, livepeer.ErrDiscoveryUnavailable):
		return exitService, oneLine("the discovery endpoint is unreachable or failing (" + rootCause(err) + "): check --discovery or the token")
	case errors.As(err, &mme):
		return exitNoOrchestrator, oneLine(fmt.Sprintf("orchestrator %s presented a TLS key that is not the one pinned for it in the --pins file "+
			"(a go-livepeer orchestrator makes a new key when it restarts; an impostor does too): once you trust it, delete %q from the file", mme.Addr, mme.Addr))
	case errors.As(err, &noe):
		return exitNoOrchestrator, oneLine(describeNoOrchestrator(noe))
	case errors.As(err, &je):
		return exitJobFailed, oneLine(fmt.Sprintf("the job failed on the worker of %s at %s (status %d): %s", je.Capability, je.Orchestrator, je.StatusCode, je.Message))
	case errors.As(err, &pe) && errors.Is(err, livepeer.ErrJobFailed):
		return exitJobFailed, oneLine(fmt.Sprintf("the job failed on the runner of %s at %s (status %d): %s", pe.Capability, pe.Orchestrator, pe.StatusCode, pe.Message))
	case errors.As(err, &sje):
		return exitJobFailed, oneLine(fmt.Sprintf("the worker of %s at %s reported an error: %s", sje.Capability, sje.Orchestrator, sje.Event.Data))
	case errors.Is(err, livepeer.ErrInvalidConfig):
		return exitUsage, oneLine(err.Error())
	case errors.Is(err, livepeer.ErrSessionEnded):
		return exitFailure, "the orchestrator ended the live session (it stopped the stream or shut down): start it again; lpgw orchestrators shows who answers"
	case errors.Is(err, livepeer.ErrOrchestratorUnavailable):
		return exitFailure, oneLine("the orchestrator stopped answering (" + rootCause(err) + "): try again; lpgw orchestrators shows who answers")
	}
	return exitFailure, oneLine(err.Error())
}

// describeNoOrchestrator tells "nobody offers it" from "those who offer it
// failed", and says which.
func describeNoOrchestrator(e *livepeer.NoOrchestratorError) string {
	capability := e.Capability
	if capability == "" {
		capability = "the request"
	}
	offered := false
	for _, r := range e.Rejections {
		if !errors.Is(r.Err, livepeer.ErrCapabilityNotOffered) {
			offered = true
		}
	}
	if !offered {
		return fmt.Sprintf("no orchestrator offers %s: check the name; lpgw orchestrators lists what the network offers", capability)
	}
	if errors.Is(e, livepeer.ErrPriceExceeded) {
		return fmt.Sprintf("every orchestrator offering %s is priced above the ceiling (yours or the signer's): %v", capability, e)
	}
	return fmt.Sprintf("no orchestrator could serve %s: %v; lpgw orchestrators shows which answer", capability, e)
}

// rootCause is the message of a network error in err ("dial tcp
// 127.0.0.1:1: connect: connection refused"), else of the innermost error
// of its single-error chain.
func rootCause(err error) string {
	if err == nil {
		return "no cause given"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// oneLine folds a message onto one line of at most 400 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 400 {
		s = string(r[:399]) + "…"
	}
	return s
}

// describeInputError says which part of a pipeline request is wrong and
// why ("input for text-to-image: promt: unknown field; did you mean
// \"prompt\"?").
func describeInputError(e *livepeer.InputError) string {
	s := "input for " + string(e.Pipeline) + ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Reason
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}
