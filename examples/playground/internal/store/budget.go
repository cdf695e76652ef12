package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Reservation is budget held for one in-flight payment. Settle or Release
// it exactly once.
type Reservation struct {
	ID     int64
	UserID int64
	Amount int64
}

// withTx runs f in a transaction, committing on nil and rolling back
// otherwise.
func (s *Store) withTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Reserve holds amountWei of userID's budget for one payment, in one
// transaction: a conditional UPDATE that succeeds only while spent +
// reserved + amount ≤ cap (PostgreSQL re-checks the condition on the locked
// row, SQLite runs one writer at a time), plus a reservation row so that a
// crash leaves a trace the sweeper can release. It fails with ErrOverCap
// when the budget cannot hold the amount.
func (s *Store) Reserve(ctx context.Context, userID, amountWei int64) (*Reservation, error) {
	if amountWei < 0 {
		return nil, ErrAmount
	}
	var r Reservation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE users SET reserved_wei = reserved_wei + ? WHERE id = ? AND spent_wei + reserved_wei + ? <= cap_wei`, amountWei, userID, amountWei)
		if err != nil {
			return fmt.Errorf("store: reserve: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrOverCap
		}
		var id int64
		if err := s.queryRow(ctx, tx, `INSERT INTO reservations (user_id, amount_wei, created_at) VALUES (?, ?, ?) RETURNING id`, userID, amountWei, s.now().Unix()).Scan(&id); err != nil {
			return fmt.Errorf("store: reserve: %w", err)
		}
		r = Reservation{ID: id, UserID: userID, Amount: amountWei}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Release gives a reservation back untouched (the payment failed or needed
// no tickets). Releasing twice is a no-op.
func (s *Store) Release(ctx context.Context, r *Reservation) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		return s.dropReservation(ctx, tx, r)
	})
}

// dropReservation deletes r's row and, only if it was still there, gives its
// amount back.
func (s *Store) dropReservation(ctx context.Context, tx *sql.Tx, r *Reservation) error {
	res, err := s.exec(ctx, tx, `DELETE FROM reservations WHERE id = ?`, r.ID)
	if err != nil {
		return fmt.Errorf("store: release: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := s.exec(ctx, tx, `UPDATE users SET reserved_wei = reserved_wei - ? WHERE id = ?`, r.Amount, r.UserID); err != nil {
		return fmt.Errorf("store: release: %w", err)
	}
	return nil
}

// Charge is what one signed payment really committed.
type Charge struct {
	Source  string   // "key:<id>", "run:<id>" or "session"
	StateID string   // the signer's session state id ("" if unknown)
	Tickets int      // number of tickets in the payment
	EVWei   int64    // Σ expected value, rounded up, in wei: what is billed
	Face    *big.Int // Σ face value in wei (display only)
	WinProb *big.Int // win probability of the tickets (display only)
}

// Settle turns reservation r into the real charge c in one transaction:
// the reservation is dropped and c.EVWei is added to spent, conditionally on
// spent + reserved ≤ cap afterwards (a charge larger than its reservation
// still cannot pass the cap). On ErrOverCap the reservation is released and
// nothing is charged; the caller must then discard the payment.
func (s *Store) Settle(ctx context.Context, r *Reservation, c Charge) error {
	if c.EVWei < 0 {
		return ErrAmount
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM reservations WHERE id = ?`, r.ID)
		if err != nil {
			return fmt.Errorf("store: settle: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: settle: reservation %d already closed", r.ID)
		}
		res, err = s.exec(ctx, tx, `UPDATE users SET reserved_wei = reserved_wei - ?, spent_wei = spent_wei + ? WHERE id = ? AND spent_wei + reserved_wei - ? + ? <= cap_wei`,
			r.Amount, c.EVWei, r.UserID, r.Amount, c.EVWei)
		if err != nil {
			return fmt.Errorf("store: settle: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrOverCap
		}
		face, win := "0", "0"
		if c.Face != nil {
			face = c.Face.String()
		}
		if c.WinProb != nil {
			win = c.WinProb.String()
		}
		_, err = s.exec(ctx, tx, `INSERT INTO ledger (user_id, source, state_id, tickets, ev_wei, face_wei, win_prob, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.UserID, c.Source, c.StateID, c.Tickets, c.EVWei, face, win, s.now().Unix())
		if err != nil {
			return fmt.Errorf("store: settle: ledger: %w", err)
		}
		return nil
	})
	if errors.Is(err, ErrOverCap) {
		if rerr := s.Release(ctx, r); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// SweepReservations releases reservations older than maxAge (left behind by
// a crash or a lost request) and returns how many it released.
func (s *Store) SweepReservations(ctx context.Context, maxAge time.Duration) (int, error) {
	cutoff := s.now().Add(-maxAge).Unix()
	rows, err := s.query(ctx, s.db, `SELECT id, user_id, amount_wei FROM reservations WHERE created_at < ?`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("store: sweep: %w", err)
	}
	var stale []Reservation
	for rows.Next() {
		var r Reservation
		if err := rows.Scan(&r.ID, &r.UserID, &r.Amount); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: sweep: %w", err)
		}
		stale = append(stale, r)
	}
	rows.Close()
	for i := range stale {
		if err := s.Release(ctx, &stale[i]); err != nil {
			return i, err
		}
	}
	return len(stale), nil
}

// Usage summarises an account's spend for display.
type Usage struct {
	CapWei, SpentWei, ReservedWei int64
	Payments, Tickets             int64
	FaceWei                       *big.Int // Σ face value of every ticket (not a cost)
}

// Usage returns userID's budget and ledger totals.
func (s *Store) Usage(ctx context.Context, userID int64) (*Usage, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := &Usage{CapWei: u.CapWei, SpentWei: u.SpentWei, ReservedWei: u.ReservedWei, FaceWei: new(big.Int)}
	rows, err := s.query(ctx, s.db, `SELECT tickets, face_wei FROM ledger WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var face string
		if err := rows.Scan(&n, &face); err != nil {
			return nil, fmt.Errorf("store: usage: %w", err)
		}
		out.Payments++
		out.Tickets += n
		if f, ok := new(big.Int).SetString(face, 10); ok {
			out.FaceWei.Add(out.FaceWei, f)
		}
	}
	return out, rows.Err()
}

// SourceUsage returns what userID's payments made with source (a Charge's
// Source, e.g. "run:<id>") cost in total, and how many there were.
func (s *Store) SourceUsage(ctx context.Context, userID int64, source string) (evWei, payments int64, err error) {
	err = s.queryRow(ctx, s.db, `SELECT COALESCE(SUM(ev_wei), 0), COUNT(*) FROM ledger WHERE user_id = ? AND source = ?`, userID, source).Scan(&evWei, &payments)
	if err != nil {
		return 0, 0, fmt.Errorf("store: source usage: %w", err)
	}
	return evWei, payments, nil
}
