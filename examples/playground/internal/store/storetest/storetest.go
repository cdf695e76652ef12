// Package storetest opens throw-away playground databases for tests: a
// SQLite file in t.TempDir() and, when PLAYGROUND_TEST_POSTGRES_URL is set,
// a fresh schema on that PostgreSQL server. In CI (CI=true) a missing
// PostgreSQL URL fails the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
)

// PostgresEnv names the variable holding the test PostgreSQL URL.
const PostgresEnv = "PLAYGROUND_TEST_POSTGRES_URL"

// Backend is one database to run a test against.
type Backend struct {
	Name string
	DSN  string
}

// Backends returns SQLite and, when configured, PostgreSQL (each with a
// fresh, private database or schema dropped at cleanup).
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "playground.db")}}
	if pg := PostgresDSN(t); pg != "" {
		out = append(out, Backend{Name: "postgres", DSN: pg})
	}
	return out
}

// PostgresDSN returns a DSN for a fresh schema on the test PostgreSQL server,
// "" when none is configured outside CI; in CI it fails the test instead.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the database tests on PostgreSQL (see examples/playground/ci/postgres.sh)", PostgresEnv)
		}
		t.Logf("PostgreSQL tests skipped: %s is not set (outside CI)", PostgresEnv)
		return ""
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		_ = db.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Open opens the store for b and closes it at cleanup.
func Open(t testing.TB, b Backend) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), b.DSN)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
