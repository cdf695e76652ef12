package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by the store. Compare with errors.Is.
var (
	// ErrNotFound: no such user, session or key (or it belongs to another user).
	ErrNotFound = errors.New("store: not found")
	// ErrEmailTaken: an account with this email already exists.
	ErrEmailTaken = errors.New("store: email already registered")
	// ErrOverCap: the reservation or charge would push spend past the cap.
	ErrOverCap = errors.New("store: trial budget exhausted")
	// ErrAmount: a negative or out-of-range wei amount.
	ErrAmount = errors.New("store: invalid amount")
)

// Store is an open database. Safe for concurrent use; Close it when done.
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
}

// Open connects to dsn (postgres://... for PostgreSQL; sqlite:PATH, a file
// path or :memory: for SQLite), creates the schema if needed and returns the
// store. It fails with ErrUnsupportedDSN or the driver's error.
func Open(ctx context.Context, dsn string) (*Store, error) {
	d, driver, source, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	if d == SQLite {
		// One connection: SQLite has one writer anyway, and a single
		// connection keeps :memory: databases shared and avoids SQLITE_BUSY.
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
	}
	s := &Store{db: db, dialect: d, now: time.Now}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect %s: %w", d, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Dialect reports which database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close closes the database; idempotent.
func (s *Store) Close() error { return s.db.Close() }

// User is an account.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Plan         string
	CapWei       int64
	SpentWei     int64
	ReservedWei  int64
	CreatedAt    time.Time
}

// RemainingWei is what the account can still spend (cap − spent − reserved).
func (u *User) RemainingWei() int64 { return u.CapWei - u.SpentWei - u.ReservedWei }

func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "unique") || strings.Contains(m, "duplicate key")
}

// CreateUser inserts an account on plan with a budget of capWei. It fails
// with ErrEmailTaken when the email (compared lower-cased) exists.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash, plan string, capWei int64) (*User, error) {
	if capWei < 0 {
		return nil, ErrAmount
	}
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.now()
	var id int64
	err := s.queryRow(ctx, s.db, `INSERT INTO users (email, password_hash, plan, cap_wei, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		email, passwordHash, plan, capWei, now.Unix()).Scan(&id)
	if isUnique(err) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	return &User{ID: id, Email: email, PasswordHash: passwordHash, Plan: plan, CapWei: capWei, CreatedAt: time.Unix(now.Unix(), 0)}, nil
}

// UpsertOIDCUser returns the account linked to subject (issuer|sub), linking
// an existing account with the same email or creating one on plan/capWei.
func (s *Store) UpsertOIDCUser(ctx context.Context, subject, email, plan string, capWei int64) (*User, error) {
	if u, err := s.userWhere(ctx, "oidc_subject = ?", subject); err == nil {
		return u, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if u, err := s.UserByEmail(ctx, email); err == nil {
		if _, err := s.exec(ctx, s.db, `UPDATE users SET oidc_subject = ? WHERE id = ? AND oidc_subject IS NULL`, subject, u.ID); err != nil {
			return nil, fmt.Errorf("store: link oidc: %w", err)
		}
		return u, nil
	}
	u, err := s.CreateUser(ctx, email, "", plan, capWei)
	if err != nil {
		return nil, err
	}
	if _, err := s.exec(ctx, s.db, `UPDATE users SET oidc_subject = ? WHERE id = ?`, subject, u.ID); err != nil {
		return nil, fmt.Errorf("store: link oidc: %w", err)
	}
	return u, nil
}

const userCols = `id, email, password_hash, plan, cap_wei, spent_wei, reserved_wei, created_at`

func (s *Store) userWhere(ctx context.Context, where string, args ...any) (*User, error) {
	var u User
	var created int64
	err := s.queryRow(ctx, s.db, `SELECT `+userCols+` FROM users WHERE `+where, args...).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Plan, &u.CapWei, &u.SpentWei, &u.ReservedWei, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0)
	return &u, nil
}

// UserByEmail returns the account with this email or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	return s.userWhere(ctx, "email = ?", strings.ToLower(strings.TrimSpace(email)))
}

// UserByID returns the account or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	return s.userWhere(ctx, "id = ?", id)
}

// SetCap changes an account's budget. It fails with ErrOverCap when the new
// cap is below what is already spent or reserved.
func (s *Store) SetCap(ctx context.Context, userID, capWei int64) error {
	res, err := s.exec(ctx, s.db, `UPDATE users SET cap_wei = ? WHERE id = ? AND spent_wei + reserved_wei <= ?`, capWei, userID, capWei)
	if err != nil {
		return fmt.Errorf("store: set cap: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrOverCap
	}
	return nil
}
