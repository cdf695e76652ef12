package main

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/rtc/rtctest"
)

// skewClock is a clock for the hosted signer that tests can move on.
type skewClock struct{ ns atomic.Int64 }

func (c *skewClock) Now() time.Time          { return time.Now().Add(time.Duration(c.ns.Load())) }
func (c *skewClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func (c *skewClock) config(cfg appConfig) appConfig {
	cfg.Now = c.Now
	return cfg
}

// startTestApp starts an app with the test defaults and cfg's overrides.
func startTestApp(t *testing.T, cfg appConfig) *app {
	t.Helper()
	requireFFmpeg(t)
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "pg.db")
	if cfg.TrialBudgetWei == nil {
		cfg.TrialBudgetWei = big.NewInt(1_000_000_000_000_000)
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 4
	}
	cfg.SignerHeaders = map[string]string{}
	a, err := startApp(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return a
}

type apiRun struct {
	ID, Whip, Whep string
}

type apiError struct {
	Error *struct {
		Kind, Title, Detail string
	}
	Runs []struct{ ID, Model, State string }
}

func (b *browser) startRun(csrf string) (int, apiRun, apiError) {
	b.t.Helper()
	st, body := b.api(http.MethodPost, "/api/runs", "application/json", []byte(`{"workflow":"daydreamlive/streamdiffusion","params":{}}`), csrf)
	var r apiRun
	var e apiError
	_ = json.Unmarshal(body, &r)
	_ = json.Unmarshal(body, &e)
	return st, r, e
}

type runStatus struct {
	State string
	Error *struct{ Kind, Detail string }
}

func (b *browser) runStatus(id string) runStatus {
	b.t.Helper()
	st, body := b.api(http.MethodGet, "/api/runs/"+id, "", nil, "")
	require.Equal(b.t, http.StatusOK, st, string(body))
	var s runStatus
	require.NoError(b.t, json.Unmarshal(body, &s))
	return s
}

// TestRunStopRunStopRun: stopped runs do not count toward the two-run
// limit, so run → stop → run → stop → run all start; with two live runs
// the third is refused with its own error kind and the live runs listed.
func TestRunStopRunStopRun(t *testing.T) {
	a := startTestApp(t, appConfig{DisableLiveRuns: false})
	b := newBrowser(t, a.URL)
	b.signUp("cycle@example.com", "correct horse battery")
	csrf := b.csrf("/models/daydreamlive/streamdiffusion")
	for i := range 3 {
		st, r, e := b.startRun(csrf)
		require.Equal(t, http.StatusCreated, st, "start %d: %+v", i+1, e.Error)
		st, body := b.api(http.MethodDelete, "/api/runs/"+r.ID, "", nil, csrf)
		require.Equal(t, http.StatusNoContent, st, string(body))
	}
	st, r1, _ := b.startRun(csrf)
	require.Equal(t, http.StatusCreated, st)
	st, r2, _ := b.startRun(csrf)
	require.Equal(t, http.StatusCreated, st)
	st, _, e := b.startRun(csrf)
	require.Equal(t, http.StatusTooManyRequests, st)
	require.NotNil(t, e.Error)
	require.Equal(t, "too-many-runs", e.Error.Kind, "the refusal is not a payment failure")
	ids := []string{}
	for _, r := range e.Runs {
		ids = append(ids, r.ID)
	}
	require.ElementsMatch(t, []string{r1.ID, r2.ID}, ids, "the live runs are listed so the page can offer Stop")
	st, body := b.api(http.MethodGet, "/api/runs", "", nil, "")
	require.Equal(t, http.StatusOK, st)
	require.Contains(t, string(body), r1.ID)
	// Stopping one from the list frees a slot at once.
	st, _ = b.api(http.MethodDelete, "/api/runs/"+r1.ID, "", nil, csrf)
	require.Equal(t, http.StatusNoContent, st)
	st, _, _ = b.startRun(csrf)
	require.Equal(t, http.StatusCreated, st)
}

// TestOutOfCreditThenRunAgain: a run whose first payment the budget cannot
// cover ends out of credit, and the media request that follows gets that
// error (not a media failure); the next Run is refused up front.
func TestOutOfCreditThenRunAgain(t *testing.T) {
	a := startTestApp(t, appConfig{TrialBudgetWei: big.NewInt(1_000_000_000)}) // far below a first payment
	b := newBrowser(t, a.URL)
	b.signUp("broke@example.com", "correct horse battery")
	csrf := b.csrf("/models/daydreamlive/streamdiffusion")
	st, r, e := b.startRun(csrf)
	require.Equal(t, http.StatusCreated, st, "%+v", e.Error) // nothing is known about a first payment yet
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	snd, err := rtctest.NewSender(ctx, b.exchange(r.Whip, csrf))
	require.NoError(t, err)
	defer snd.Close()
	require.Eventually(t, func() bool { return b.runStatus(r.ID).State == "ended" }, 20*time.Second, 50*time.Millisecond)
	s := b.runStatus(r.ID)
	require.NotNil(t, s.Error)
	require.Equal(t, "out-of-credit", s.Error.Kind)

	// The player connecting after the end gets the run's own error.
	st, body := b.api(http.MethodPost, r.Whep, "application/sdp", []byte("v=0\r\n"), csrf)
	require.Equal(t, http.StatusConflict, st, string(body))
	var we apiError
	require.NoError(t, json.Unmarshal(body, &we), string(body))
	require.Equal(t, "out-of-credit", we.Error.Kind)

	// Run again: refused before any media, with the figures.
	st, _, e = b.startRun(csrf)
	require.Equal(t, 483, st)
	require.Equal(t, "out-of-credit", e.Error.Kind)
	require.Contains(t, e.Error.Detail, "first payment")
}

// TestRunRidesOnPrepaidTime: once the budget cannot buy the next payment,
// the run keeps going on the minute the signer billed up front (nothing
// more is charged, spend stays inside the cap) and ends out of credit only
// when that time is used up.
func TestRunRidesOnPrepaidTime(t *testing.T) {
	var clock skewClock
	a := startTestApp(t, clock.config(appConfig{LivePaymentInterval: 500 * time.Millisecond}))
	aus := cameraAUs(t)
	b := newBrowser(t, a.URL)
	b.signUp("prepaid@example.com", "correct horse battery")
	u, err := a.Store.UserByEmail(context.Background(), "prepaid@example.com")
	require.NoError(t, err)
	pr := startPionRun(t, b, aus)
	defer pr.closePeers()
	require.Eventually(t, func() bool {
		s := liveStreams(a.Net)
		return len(s) == 1 && s[0].Running && pr.receiver.Packets.Load() > 0
	}, 30*time.Second, 100*time.Millisecond, "the run is up")
	cur, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.NoError(t, a.Store.SetCap(context.Background(), u.ID, cur.SpentWei+cur.ReservedWei))

	skips := a.Web.Proxy().PrepaidSkips()
	require.Eventually(t, func() bool { return a.Web.Proxy().PrepaidSkips() >= skips+3 }, 30*time.Second, 50*time.Millisecond,
		"payments the budget cannot buy are skipped while prepaid time remains")
	s := b.runStatus(pr.id)
	require.Equal(t, "running", s.State, "the run is still going: %+v", s.Error)
	require.Nil(t, s.Error)
	streams := liveStreams(a.Net)
	require.True(t, streams[0].Running, "the orchestrator still streams")
	after, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.LessOrEqual(t, after.SpentWei, after.CapWei)

	clock.Advance(2 * time.Minute) // the prepaid minute is over
	require.Eventually(t, func() bool {
		s := b.runStatus(pr.id)
		return s.State == "ended" && s.Error != nil && s.Error.Kind == "out-of-credit"
	}, 30*time.Second, 100*time.Millisecond, "the run ends out of credit once prepaid time is used")
	final, err := a.Store.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	require.LessOrEqual(t, final.SpentWei, final.CapWei)
}
