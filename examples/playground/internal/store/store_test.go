package store_test

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store/storetest"
)

func eachBackend(t *testing.T, f func(t *testing.T, s *store.Store)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { f(t, storetest.Open(t, b)) })
	}
}

func TestOpenRejectsUnknownDSN(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://x")
	require.ErrorIs(t, err, store.ErrUnsupportedDSN)
	_, err = store.Open(context.Background(), "")
	require.ErrorIs(t, err, store.ErrUnsupportedDSN)
}

func TestUsersSessionsKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "Ann@Example.com ", "hash", "free", 1000)
		require.NoError(t, err)
		require.Equal(t, "ann@example.com", u.Email)
		_, err = s.CreateUser(ctx, "ann@example.com", "h2", "free", 1000)
		require.ErrorIs(t, err, store.ErrEmailTaken)
		got, err := s.UserByEmail(ctx, "ANN@example.com")
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)
		_, err = s.UserByEmail(ctx, "nobody@example.com")
		require.ErrorIs(t, err, store.ErrNotFound)

		sid, err := s.CreateSession(ctx, u.ID, time.Hour)
		require.NoError(t, err)
		su, err := s.SessionUser(ctx, sid)
		require.NoError(t, err)
		require.Equal(t, u.ID, su.ID)
		require.NoError(t, s.DeleteSession(ctx, sid))
		_, err = s.SessionUser(ctx, sid)
		require.ErrorIs(t, err, store.ErrNotFound)
		expired, err := s.CreateSession(ctx, u.ID, -time.Second)
		require.NoError(t, err)
		_, err = s.SessionUser(ctx, expired)
		require.ErrorIs(t, err, store.ErrNotFound)

		k, secret, err := s.CreateKey(ctx, u.ID, "laptop")
		require.NoError(t, err)
		require.Contains(t, secret, store.KeyPrefix)
		require.Equal(t, secret[:len(k.Prefix)], k.Prefix)
		kk, ku, err := s.KeyUser(ctx, secret)
		require.NoError(t, err)
		require.Equal(t, k.ID, kk.ID)
		require.Equal(t, u.ID, ku.ID)
		keys, err := s.Keys(ctx, u.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		require.True(t, keys[0].Active())
		require.False(t, keys[0].LastUsedAt.IsZero())

		other, err := s.CreateUser(ctx, "bob@example.com", "h", "free", 10)
		require.NoError(t, err)
		require.ErrorIs(t, s.RevokeKey(ctx, other.ID, k.ID), store.ErrNotFound, "another user cannot revoke the key")
		require.NoError(t, s.RevokeKey(ctx, u.ID, k.ID))
		_, _, err = s.KeyUser(ctx, secret)
		require.ErrorIs(t, err, store.ErrNotFound, "revocation takes effect at once")
		require.ErrorIs(t, s.RevokeKey(ctx, u.ID, k.ID), store.ErrNotFound)
		_, _, err = s.KeyUser(ctx, "lpk_unknown-key-value")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestOIDCUpsert(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, err := s.UpsertOIDCUser(ctx, "https://issuer|123", "o@example.com", "free", 5)
		require.NoError(t, err)
		b, err := s.UpsertOIDCUser(ctx, "https://issuer|123", "changed@example.com", "free", 5)
		require.NoError(t, err)
		require.Equal(t, a.ID, b.ID)
		p, err := s.CreateUser(ctx, "pw@example.com", "h", "free", 5)
		require.NoError(t, err)
		c, err := s.UpsertOIDCUser(ctx, "https://issuer|456", "pw@example.com", "free", 5)
		require.NoError(t, err)
		require.Equal(t, p.ID, c.ID, "same email links to the existing account")
	})
}

func TestReserveSettleRelease(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "c@example.com", "h", "free", 100)
		require.NoError(t, err)
		r1, err := s.Reserve(ctx, u.ID, 60)
		require.NoError(t, err)
		_, err = s.Reserve(ctx, u.ID, 41)
		require.ErrorIs(t, err, store.ErrOverCap)
		r2, err := s.Reserve(ctx, u.ID, 40)
		require.NoError(t, err)
		require.NoError(t, s.Settle(ctx, r1, store.Charge{Source: "session", Tickets: 2, EVWei: 30, Face: big.NewInt(3000), WinProb: big.NewInt(7)}))
		require.NoError(t, s.Release(ctx, r2))
		require.NoError(t, s.Release(ctx, r2), "double release is a no-op")
		usage, err := s.Usage(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, int64(30), usage.SpentWei)
		require.Equal(t, int64(0), usage.ReservedWei)
		require.Equal(t, int64(2), usage.Tickets)
		require.Equal(t, "3000", usage.FaceWei.String())

		// A charge above its reservation still cannot pass the cap.
		r3, err := s.Reserve(ctx, u.ID, 10)
		require.NoError(t, err)
		require.ErrorIs(t, s.Settle(ctx, r3, store.Charge{EVWei: 71}), store.ErrOverCap)
		usage, err = s.Usage(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, int64(30), usage.SpentWei)
		require.Equal(t, int64(0), usage.ReservedWei, "refused settlement releases the reservation")
		r4, err := s.Reserve(ctx, u.ID, 10)
		require.NoError(t, err)
		require.NoError(t, s.Settle(ctx, r4, store.Charge{EVWei: 70}), "a charge above its reservation that fits is taken")
		require.Error(t, s.Settle(ctx, r4, store.Charge{EVWei: 1}), "settling twice fails")

		require.ErrorIs(t, s.SetCap(ctx, u.ID, 50), store.ErrOverCap)
		require.NoError(t, s.SetCap(ctx, u.ID, 100))
		_, err = s.Reserve(ctx, u.ID, -1)
		require.ErrorIs(t, err, store.ErrAmount)
	})
}

func TestSweepReservations(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "d@example.com", "h", "free", 100)
		require.NoError(t, err)
		_, err = s.Reserve(ctx, u.ID, 70)
		require.NoError(t, err)
		n, err := s.SweepReservations(ctx, time.Hour)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = s.SweepReservations(ctx, -time.Second)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := s.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Zero(t, got.ReservedWei)
	})
}

// TestConcurrentReservationsNeverPassCap: 50 goroutines reserve and settle
// against one account at once; the total charged never exceeds the cap.
func TestConcurrentReservationsNeverPassCap(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const capWei = 1000
		u, err := s.CreateUser(ctx, "e@example.com", "h", "free", capWei)
		require.NoError(t, err)
		var charged, refused atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				for range 10 {
					r, err := s.Reserve(ctx, u.ID, 30)
					if errors.Is(err, store.ErrOverCap) {
						refused.Add(1)
						return
					}
					if !assert.NoError(t, err) {
						return
					}
					err = s.Settle(ctx, r, store.Charge{EVWei: 7})
					if errors.Is(err, store.ErrOverCap) {
						refused.Add(1)
						return
					}
					if assert.NoError(t, err) {
						charged.Add(7)
					}
				}
			})
		}
		wg.Wait()
		got, err := s.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, charged.Load(), got.SpentWei)
		require.LessOrEqual(t, got.SpentWei, int64(capWei))
		require.Zero(t, got.ReservedWei)
		t.Logf("%s: charged %d of cap %d wei, refused %d", s.Dialect(), got.SpentWei, capWei, refused.Load())
	})
}

// TestKeyNamesStayValidUTF8: a long name is cut at a character boundary
// (it was cut at byte 64, mid-character, storing invalid UTF-8), and
// invalid bytes and control characters never reach the database.
func TestKeyNamesStayValidUTF8(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "names@example.com", "h", "free", 1)
		require.NoError(t, err)
		for in, want := range map[string]string{
			strings.Repeat("a", 63) + "é": strings.Repeat("a", 63), // "é" would end at byte 65
			strings.Repeat("日", 30):       strings.Repeat("日", 21), // 63 bytes, not 64
			"tab\there\x00\xffok":         "tabhereok",
			"   ":                         "default",
		} {
			k, _, err := s.CreateKey(ctx, u.ID, in)
			require.NoError(t, err)
			require.Equal(t, want, k.Name)
			keys, err := s.Keys(ctx, u.ID)
			require.NoError(t, err)
			require.True(t, utf8.ValidString(keys[0].Name), "stored %q", keys[0].Name)
			require.Equal(t, want, keys[0].Name)
			require.LessOrEqual(t, len(keys[0].Name), 64)
		}
	})
}
