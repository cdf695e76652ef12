package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// KeyPrefix starts every personal API key.
const KeyPrefix = "lpk_"

// keyDisplayLen is how many characters of a key are kept in clear for listing.
const keyDisplayLen = 12

// APIKey is a stored personal key (never the secret itself).
type APIKey struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the first characters, for display
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while active
}

// Active reports whether the key is not revoked.
func (k *APIKey) Active() bool { return k.RevokedAt.IsZero() }

// maxKeyName bounds a key name, in bytes.
const maxKeyName = 64

// cleanKeyName makes a key name safe to store and show: valid UTF-8, no
// control characters, trimmed, at most maxKeyName bytes cut at a character
// boundary, "default" when empty.
func cleanKeyName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if len(name) > maxKeyName {
		cut := maxKeyName
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = strings.TrimSpace(name[:cut])
	}
	if name == "" {
		return "default"
	}
	return name
}

// CreateKey makes a new key for userID and returns it with its secret, which
// is shown once and never stored (only its SHA-256).
func (s *Store) CreateKey(ctx context.Context, userID int64, name string) (*APIKey, string, error) {
	name = cleanKeyName(name)
	secret := KeyPrefix + randomToken(32)
	now := s.now().Unix()
	var id int64
	err := s.queryRow(ctx, s.db, `INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		userID, name, secret[:keyDisplayLen], hashSecret(secret), now).Scan(&id)
	if err != nil {
		return nil, "", fmt.Errorf("store: create key: %w", err)
	}
	return &APIKey{ID: id, UserID: userID, Name: name, Prefix: secret[:keyDisplayLen], CreatedAt: time.Unix(now, 0)}, secret, nil
}

// Keys lists userID's keys, newest first, revoked ones included.
func (s *Store) Keys(ctx context.Context, userID int64) ([]APIKey, error) {
	rows, err := s.query(ctx, s.db, `SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var c, u, r int64
		if err := rows.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &c, &u, &r); err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		k.CreatedAt = time.Unix(c, 0)
		if u > 0 {
			k.LastUsedAt = time.Unix(u, 0)
		}
		if r > 0 {
			k.RevokedAt = time.Unix(r, 0)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey revokes key id of userID; it takes effect on the next lookup.
// ErrNotFound when the key does not exist, is already revoked, or belongs
// to another user.
func (s *Store) RevokeKey(ctx context.Context, userID, keyID int64) error {
	res, err := s.exec(ctx, s.db, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at = 0`, s.now().Unix(), keyID, userID)
	if err != nil {
		return fmt.Errorf("store: revoke key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// KeyUser resolves an active key secret to its key and user (ErrNotFound
// for unknown or revoked keys) and records its use.
func (s *Store) KeyUser(ctx context.Context, secret string) (*APIKey, *User, error) {
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) < keyDisplayLen {
		return nil, nil, ErrNotFound
	}
	var k APIKey
	var c int64
	err := s.queryRow(ctx, s.db, `SELECT id, user_id, name, prefix, created_at FROM api_keys WHERE key_hash = ? AND revoked_at = 0`, hashSecret(secret)).
		Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: look up key: %w", err)
	}
	k.CreatedAt = time.Unix(c, 0)
	u, err := s.UserByID(ctx, k.UserID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now().Unix()
	if _, err := s.exec(ctx, s.db, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, now, k.ID, now); err != nil {
		return nil, nil, fmt.Errorf("store: touch key: %w", err)
	}
	k.LastUsedAt = time.Unix(now, 0)
	return &k, u, nil
}
