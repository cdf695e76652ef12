package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// hashSecret is how session ids and API keys are stored: SHA-256 hex. Both
// are 256-bit random values, so a fast hash is enough (no dictionary to
// attack) and lookups stay indexable.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSession starts a browser session for userID lasting ttl and returns
// its id (the cookie value; only its hash is stored).
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	id := randomToken(32)
	now := s.now()
	if _, err := s.exec(ctx, s.db, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hashSecret(id), userID, now.Unix(), now.Add(ttl).Unix()); err != nil {
		return "", fmt.Errorf("store: create session: %w", err)
	}
	return id, nil
}

// SessionUser returns the user of a live session, or ErrNotFound for an
// unknown or expired one.
func (s *Store) SessionUser(ctx context.Context, sessionID string) (*User, error) {
	if sessionID == "" {
		return nil, ErrNotFound
	}
	return s.userWhere(ctx, `id = (SELECT user_id FROM sessions WHERE id_hash = ? AND expires_at > ?)`, hashSecret(sessionID), s.now().Unix())
}

// DeleteSession ends a session (sign out). Unknown ids are not an error.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := s.exec(ctx, s.db, `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(sessionID))
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
