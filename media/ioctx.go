package media

import (
	"context"
	"errors"
	"os"
	"time"
)

// withDeadline runs op, which reads or writes a pollable file (a pipe from
// os.Pipe), and interrupts it when ctx ends by moving the file's deadline
// into the past (set is the file's SetReadDeadline or SetWriteDeadline). It
// returns ctx.Err() when the interruption is what made op fail; the deadline
// is cleared again before withDeadline returns, so the file stays usable.
// op may have transferred part of its bytes when it is interrupted.
func withDeadline(ctx context.Context, set func(time.Time) error, op func() error) error {
	if ctx.Done() == nil {
		return op()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = set(time.Unix(1, 0))
	})
	err := op()
	if !stop() {
		<-fired
		_ = set(time.Time{})
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			return ctx.Err()
		}
	}
	return err
}
