package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRunTeardown: a run ended by the user, by running out of credit, or by
// the browser going away leaves no goroutine behind and the orchestrator
// sees its stream end.
func TestRunTeardown(t *testing.T) {
	requireFFmpeg(t)
	aus := cameraAUs(t)
	for _, how := range []string{"user-stop", "out-of-credit", "browser-disconnect"} {
		t.Run(how, func(t *testing.T) {
			var clock skewClock
			a, err := startApp(context.Background(), appConfig{
				Now:  clock.Now,
				Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "pg.db"), TrialBudgetWei: big.NewInt(1_000_000_000_000_000),
				BcryptCost: 4, SignerHeaders: map[string]string{}, LivePaymentInterval: time.Second,
			})
			require.NoError(t, err)
			defer a.Close()
			b := newBrowser(t, a.URL)
			b.signUp(how+"@example.com", "correct horse battery")
			b.csrf("/models/daydreamlive/streamdiffusion") // warm the page's keep-alive connection
			base := runtime.NumGoroutine()

			pr := startPionRun(t, b, aus)
			peersClosed := false
			defer func() {
				if !peersClosed {
					pr.closePeers()
				}
			}()
			require.Eventually(t, func() bool {
				s := liveStreams(a.Net)
				return len(s) == 1 && s[0].Running && s[0].InSegs > 0 && pr.receiver.Packets.Load() > 0
			}, 30*time.Second, 100*time.Millisecond, "the run is up: input reaches the orchestrator, output reaches the player")

			switch how {
			case "user-stop":
				st, body := b.api(http.MethodDelete, "/api/runs/"+pr.id, "", nil, pr.csrf)
				require.Equal(t, http.StatusNoContent, st, string(body))
			case "out-of-credit":
				u, err := a.Store.UserByEmail(context.Background(), how+"@example.com")
				require.NoError(t, err)
				cur, err := a.Store.UserByID(context.Background(), u.ID)
				require.NoError(t, err)
				require.NoError(t, a.Store.SetCap(context.Background(), u.ID, cur.SpentWei+cur.ReservedWei))
				clock.Advance(2 * time.Minute) // past the minute the first payment bought
				require.Eventually(t, func() bool {
					st, body := b.api(http.MethodGet, "/api/runs/"+pr.id, "", nil, "")
					var s struct {
						State string
						Error *struct{ Kind string }
					}
					return st == http.StatusOK && json.Unmarshal(body, &s) == nil && s.State == "ended" && s.Error != nil && s.Error.Kind == "out-of-credit"
				}, 15*time.Second, 100*time.Millisecond, "the run ends out of credit")
			case "browser-disconnect":
				pr.closePeers()
				peersClosed = true
			}
			require.Eventually(t, func() bool {
				s := liveStreams(a.Net)
				return len(s) == 1 && !s[0].Running
			}, 15*time.Second, 100*time.Millisecond, "the orchestrator sees the stream end")
			t.Logf("orchestrator end reason: %q", liveStreams(a.Net)[0].EndReason)
			if !peersClosed {
				pr.closePeers()
				peersClosed = true
			}
			// Idle keep-alive connections are a shared pool, not the run's:
			// the hosted signer proxy's client (http.DefaultTransport) is
			// drained so only what the run itself started is counted. The
			// poll runs on the test goroutine (testify's Eventually would add
			// one of its own).
			deadline := time.Now().Add(15 * time.Second)
			for {
				http.DefaultTransport.(*http.Transport).CloseIdleConnections()
				if runtime.NumGoroutine() <= base {
					break
				}
				if time.Now().After(deadline) {
					var buf bytes.Buffer
					_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
					t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), base, buf.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
