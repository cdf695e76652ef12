package trickle

import (
	"sync/atomic"
	"time"
)

// SubscriberStats are a Subscriber's counters since it was created. All
// are cumulative; reading them is cheap (atomic loads).
type SubscriberStats struct {
	// Segments is the number of segments Next returned.
	Segments int64
	// Bytes is the number of segment bytes the caller read (Segment.Read).
	Bytes int64
	// SkippedSegments counts segments missed because they left the
	// server's ring before they were read (see SkipError).
	SkippedSegments int64
	// LastActivity is when the last segment or segment byte arrived; zero
	// before any.
	LastActivity time.Time
}

type subStats struct {
	segments, bytes, skipped atomic.Int64
	last                     atomic.Int64 // unix nanoseconds
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
		LastActivity:    unixTime(s.stats.last.Load()),
	}
}
