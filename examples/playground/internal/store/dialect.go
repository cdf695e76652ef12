// Package store is the playground's database: accounts with a metered trial
// budget, browser sessions, personal API keys and the payment ledger. It runs
// on SQLite (modernc.org/sqlite, pure Go) or PostgreSQL (pgx) through
// database/sql; the only differences live in this file (placeholders, id
// columns, driver options).
//
// Every method takes a context and is safe for concurrent use. Budget
// changes are single conditional UPDATE statements, so concurrent requests of
// one account can never push spend past its cap on either database.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
	_ "modernc.org/sqlite"             // "sqlite" driver
)

// Dialect is the SQL flavour of a database.
type Dialect int

// Supported dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

// String names the dialect.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL. Queries in
// this package never contain a literal '?'.
func (d Dialect) rebind(q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// idColumn is an auto-increment primary key.
func (d Dialect) idColumn() string {
	if d == Postgres {
		return "BIGSERIAL PRIMARY KEY"
	}
	return "INTEGER PRIMARY KEY AUTOINCREMENT"
}

// ErrUnsupportedDSN is returned by Open for a DSN it cannot place.
var ErrUnsupportedDSN = errors.New("store: unsupported database URL (want postgres://..., sqlite:PATH, a file path or :memory:)")

// parseDSN picks the driver for a DSN: postgres:// or postgresql:// URLs go
// to pgx; "sqlite:PATH", "file:PATH", ":memory:" or a plain path to SQLite.
func parseDSN(dsn string) (Dialect, string, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, "pgx", dsn, nil
	case dsn == "":
		return 0, "", "", ErrUnsupportedDSN
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if strings.Contains(path, "://") {
		return 0, "", "", ErrUnsupportedDSN
	}
	memory := path == ":memory:"
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	// busy_timeout: wait instead of failing on a locked database; WAL lets
	// readers run beside the single writer; foreign keys are off by default.
	opts := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if !memory {
		opts += "&_pragma=journal_mode(WAL)"
	}
	return SQLite, "sqlite", path + sep + opts, nil
}

// schema returns the CREATE statements (idempotent).
func (d Dialect) schema() []string {
	id := d.idColumn()
	return []string{
		`CREATE TABLE IF NOT EXISTS users (
			id ` + id + `,
			email TEXT NOT NULL UNIQUE,
			password_hash TEXT NOT NULL DEFAULT '',
			oidc_subject TEXT UNIQUE,
			plan TEXT NOT NULL,
			cap_wei BIGINT NOT NULL,
			spent_wei BIGINT NOT NULL DEFAULT 0,
			reserved_wei BIGINT NOT NULL DEFAULT 0,
			created_at BIGINT NOT NULL,
			CHECK (spent_wei >= 0 AND reserved_wei >= 0 AND spent_wei + reserved_wei <= cap_wei)
		)`,
		`CREATE TABLE IF NOT EXISTS sessions (
			id_hash TEXT PRIMARY KEY,
			user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			created_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS api_keys (
			id ` + id + `,
			user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			name TEXT NOT NULL,
			prefix TEXT NOT NULL,
			key_hash TEXT NOT NULL UNIQUE,
			created_at BIGINT NOT NULL,
			last_used_at BIGINT NOT NULL DEFAULT 0,
			revoked_at BIGINT NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE IF NOT EXISTS reservations (
			id ` + id + `,
			user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			amount_wei BIGINT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS ledger (
			id ` + id + `,
			user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			source TEXT NOT NULL,
			state_id TEXT NOT NULL,
			tickets INTEGER NOT NULL,
			ev_wei BIGINT NOT NULL,
			face_wei TEXT NOT NULL,
			win_prob TEXT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS ledger_user ON ledger(user_id, id)`,
		`CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys(user_id)`,
		`CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id)`,
		`CREATE INDEX IF NOT EXISTS reservations_age ON reservations(created_at)`,
	}
}

// migrate creates the schema.
func (s *Store) migrate(ctx context.Context) error {
	for _, q := range s.dialect.schema() {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	return nil
}

// exec, query and queryRow rebind placeholders for the dialect.
func (s *Store) exec(ctx context.Context, q execer, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.dialect.rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q execer, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.dialect.rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q execer, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.dialect.rebind(query), args...)
}

// execer is *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
