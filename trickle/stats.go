package trickle

import (
	"sync/atomic"
	"time"
)

// PublisherStats are a Publisher's counters since it was created. All are
// cumulative; reading them is cheap (atomic loads, no lock).
type PublisherStats struct {
	// Segments is the number of segments the server stored (their
	// CloseContext returned nil).
	Segments int64
	// Bytes is the number of body bytes of those stored segments.
	Bytes int64
	// BytesSent is the number of body bytes handed to the connection, for
	// every segment (stored, failed or still being written).
	BytesSent int64
	// FailedSegments counts segments that ended in an error (not counting
	// those aborted by the publisher's Close).
	FailedSegments int64
	// SkippedSeqs counts seqs skipped because the server closed or refused
	// them before any byte was sent (see Publisher.Next).
	SkippedSeqs int64
	// Retries counts POST attempts repeated after a failure (connection
	// errors and 5xx while no byte of the segment was sent).
	Retries int64
	// LastActivity is when the connection last took a byte or the server
	// last answered a segment; zero before any.
	LastActivity time.Time
}

type pubStats struct {
	segments, bytes, sent, failed, skipped, retries atomic.Int64
	last                                            atomic.Int64 // unix nanoseconds
}

func (s *pubStats) touch() { s.last.Store(time.Now().UnixNano()) }

// took counts n bytes handed to the connection.
func (s *pubStats) took(n int) {
	s.sent.Add(int64(n))
	s.touch()
}

// Stats returns the publisher's counters.
func (p *Publisher) Stats() PublisherStats {
	return PublisherStats{
		Segments:       p.stats.segments.Load(),
		Bytes:          p.stats.bytes.Load(),
		BytesSent:      p.stats.sent.Load(),
		FailedSegments: p.stats.failed.Load(),
		SkippedSeqs:    p.stats.skipped.Load(),
		Retries:        p.stats.retries.Load(),
		LastActivity:   unixTime(p.stats.last.Load()),
	}
}

// SubscriberStats are a Subscriber's counters since it was created. All
// are cumulative; reading them is cheap (atomic loads, no lock).
type SubscriberStats struct {
	// Segments is the number of segments Next returned.
	Segments int64
	// Bytes is the number of segment bytes the caller read (Segment.Read).
	Bytes int64
	// SkippedSegments counts segments missed because they left the
	// server's ring before they were read (see SkipError).
	SkippedSegments int64
	// Retries counts requests repeated after a failure (connection errors,
	// 408, 429, 5xx).
	Retries int64
	// LastActivity is when the last segment or segment byte arrived; zero
	// before any.
	LastActivity time.Time
}

type subStats struct {
	segments, bytes, skipped, retries atomic.Int64
	last                              atomic.Int64 // unix nanoseconds
}

func (s *subStats) touch() { s.last.Store(time.Now().UnixNano()) }

func unixTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Stats returns the subscriber's counters.
func (s *Subscriber) Stats() SubscriberStats {
	return SubscriberStats{
		Segments:        s.stats.segments.Load(),
		Bytes:           s.stats.bytes.Load(),
		SkippedSegments: s.stats.skipped.Load(),
		Retries:         s.stats.retries.Load(),
		LastActivity:    unixTime(s.stats.last.Load()),
	}
}
