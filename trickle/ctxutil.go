package trickle

import "context"

// contextAfter runs f once ctx is done, unless the returned stop is called
// first. It starts no goroutine until ctx ends.
func contextAfter(ctx context.Context, f func()) (stop func() bool) {
	return context.AfterFunc(ctx, f)
}
