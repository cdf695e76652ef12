package exampleutil

import (
	"io"
	"sync"
)

// SyncWriter returns w serialised: for output several goroutines print to
// (progress lines, warnings from a session's payment goroutine, a runner's
// logs).
func SyncWriter(w io.Writer) io.Writer { return &syncWriter{w: w} }

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
