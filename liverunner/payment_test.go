package liverunner_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// warnings collects a session's warnings.
type warnings struct {
	mu   sync.Mutex
	list []liverunner.Warning
}

func (w *warnings) add(x liverunner.Warning) {
	w.mu.Lock()
	w.list = append(w.list, x)
	w.mu.Unlock()
}

func (w *warnings) kinds() []liverunner.WarningKind {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []liverunner.WarningKind
	for _, x := range w.list {
		out = append(out, x.Kind)
	}
	return out
}

func (w *warnings) has(k liverunner.WarningKind) bool {
	for _, x := range w.kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// A fixed-price session is paid once: a runner record that does not say
// so gets 409 at its first timed payment, and payments stop while the
// session goes on.
func TestPaymentFixedPrice409(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("fixed", "test/echo", 1, "0.0000001", "fixed")}})
	ctx := context.Background()
	ranked, _, err := liverunner.Discover(ctx, f.source(), liverunner.Filter{App: "test/echo"})
	require.NoError(t, err)
	require.Equal(t, liverunner.UnitFixed, ranked[0].Price.Unit)

	// Knowing the unit: one payment, no loop.
	s, err := f.c.Reserve(ctx, liverunner.NewSelector("a", ranked, nil), liverunner.SessionConfig{PaymentInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 1, s.Payments())
	require.NoError(t, s.Close())

	// Not knowing it: the first timed payment gets 409 and payments stop.
	blind := ranked[0]
	blind.Price = nil
	var w warnings
	var logs syncBuffer
	c, err := liverunner.New(liverunner.Config{Signer: f.sc, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	s, err = c.Reserve(ctx, liverunner.NewSelector("a", []liverunner.Runner{blind}, nil),
		liverunner.SessionConfig{PaymentInterval: 20 * time.Millisecond, OnWarning: w.add})
	require.NoError(t, err)
	defer s.Close()
	before := f.n.Orchestrators()[0].PaymentsReceived()
	time.Sleep(300 * time.Millisecond) // many payment intervals
	require.Equal(t, 1, s.Payments())
	require.Equal(t, before, f.n.Orchestrators()[0].PaymentsReceived(), "no payment after the 409")
	require.Equal(t, 1, strings.Count(logs.String(), "fixed-price session, payments stop"), logs.String())
	require.NoError(t, s.Err())
	require.Empty(t, w.kinds())
	resp, err := s.Client().Get(s.URL("echo/x"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// A session the orchestrator releases (here: stopped by someone else)
// ends at its next payment with ErrSessionReleased, not out of credit.
func TestPaymentReleased404(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "3.6", "hour")}})
	s, err := f.c.Reserve(context.Background(), f.selectApp("test/echo"), liverunner.SessionConfig{PaymentInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	resp, err := f.hc.Post(s.ControlURL()+"/stop", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	select {
	case <-s.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the session did not end")
	}
	require.ErrorIs(t, s.Err(), liverunner.ErrSessionReleased)
	require.NotErrorIs(t, s.Err(), livepeer.ErrInsufficientBalance)
	_, err = s.Client().Get(s.URL("echo/x"))
	require.ErrorIs(t, err, liverunner.ErrSessionReleased)
	require.NoError(t, s.Close(), "no stop for a released session")
}

// A signer outage: warnings, the session rides on prepaid time, and
// payments resume when the signer is back.
func TestPaymentOutageRecovers(t *testing.T) {
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "3.6", "hour")}})
	var w warnings
	s, err := f.c.Reserve(context.Background(), f.selectApp("test/echo"), liverunner.SessionConfig{PaymentInterval: 20 * time.Millisecond, OnWarning: w.add})
	require.NoError(t, err)
	defer s.Close()
	f.n.Signer().SetDown(true)
	f.eventually(func() bool { return w.has(liverunner.WarnPaymentOutage) }, "an outage warning")
	paid := s.Payments()
	f.n.Signer().SetDown(false)
	f.eventually(func() bool { return w.has(liverunner.WarnPaymentsResumed) && s.Payments() > paid }, "payments resume")
	require.NoError(t, s.Err())
	require.Len(t, f.sessions(), 1)
}

// Out of credit: the signer refuses, the session goes on on prepaid time
// with a warning, and ends with ErrInsufficientBalance once the
// orchestrator's charge fails and it releases the session.
func TestPaymentOutOfCreditEndsOnPrepaidTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureConfig{static: []livepeertest.StaticRunner{runner("echo", "test/echo", 1, "3.6", "hour")}})
	var w warnings
	s, err := f.c.Reserve(context.Background(), f.selectApp("test/echo"), liverunner.SessionConfig{PaymentInterval: 50 * time.Millisecond, OnWarning: w.add})
	require.NoError(t, err)
	defer s.Close()
	f.n.Signer().SetBalance(f.n.Signer().Spent())
	f.eventually(func() bool { return w.has(liverunner.WarnOutOfCredit) }, "an out-of-credit warning")
	require.NoError(t, s.Err(), "still running on prepaid time")
	resp, err := s.Client().Get(s.URL("echo/x"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	select {
	case <-s.Done():
	case <-time.After(60 * time.Second):
		t.Fatal("the session outlived its prepaid time")
	}
	require.ErrorIs(t, s.Err(), livepeer.ErrInsufficientBalance)
	require.ErrorIs(t, s.Err(), liverunner.ErrSessionReleased)
	require.Empty(t, f.sessions())
}
