package trickle

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SubscriberConfig configures a Subscriber. The zero value starts at seq 0
// (or the live edge, via the 470 recovery, on a channel that moved on).
type SubscriberConfig struct {
	// Start is the first seq: SeqLive (-1) waits for the next segment,
	// SeqCurrent (-2) starts with the segment being written, n >= 0 asks for
	// segment n.
	Start int
	// HTTPClient sends the requests (default as in PublisherConfig).
	HTTPClient *http.Client
	// VerifyTLS makes the default client verify server certificates.
	VerifyTLS bool
	// Logger receives logs; default discards.
	Logger *slog.Logger
	// RetryTimeout bounds how long failed requests (connection errors,
	// 408, 429, 5xx) are retried, with backoff, before Next gives up with
	// an error wrapping ErrServerUnavailable (default DefaultRetryTimeout,
	// 10 s: it rides out a server restart of a few seconds). A 470 is not a
	// failure: behind the edge the subscriber jumps to Lp-Trickle-Latest,
	// ahead of it it waits AheadDelay and asks again.
	RetryTimeout time.Duration
	// StallTimeout bounds how long a Segment.Read may wait for the next
	// byte of a segment: past it the read fails with ErrStalled (default
	// DefaultReadStallTimeout, 30 s; negative disables). Segment.ReadContext
	// bounds a read by a context as well.
	StallTimeout time.Duration
	// RetryDelay is the first backoff delay (default 100 ms, doubling up to
	// 250 ms, with jitter).
	RetryDelay time.Duration
	// AheadDelay is the wait before asking again for a segment the server
	// does not have yet (470 ahead of the edge; default 250 ms).
	AheadDelay time.Duration
	// ReportSkips makes Next return a *SkipError (errors.Is
	// ErrSegmentsSkipped) when segments were skipped because they left the
	// server's ring; the following call goes on after the gap. Without it a
	// skip is logged (Warn), counted in Stats and on the next segment
	// (Segment.Skipped), and Next goes on. Joining a channel that moved on
	// past Start, before any segment was received, is not a skip.
	ReportSkips bool
}

// Subscriber reads the segments of one trickle channel in order, following
// Lp-Trickle-Seq, and preconnects the next segment while the caller reads
// the current one. Next calls are serialised; it is safe for concurrent use.
type Subscriber struct {
	url       string
	cfg       SubscriberConfig
	client    *http.Client
	ownClient bool
	log       *slog.Logger
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	health    outage

	nextMu   sync.Mutex
	mu       sync.Mutex
	seq      int
	seen     bool // the channel answered at least once (404 then means it vanished)
	received bool // a segment was returned (later jumps are skips)
	skipFrom int  // first seq of a skip not yet attached to a segment (-1: none)
	pending  *getResult
	open     map[*Segment]struct{}
	ended    error // terminal outcome (ErrEndOfStream or error)
	stats    subStats

	closeOnce sync.Once
}

// getResult is a GET in flight, possibly a preconnect.
type getResult struct {
	seq    int
	ctx    context.Context         // the request's
	cancel context.CancelCauseFunc // ends the request (and its body)
	done   chan struct{}
	resp   *http.Response
	err    error
}

// NewSubscriber returns a subscriber for the channel URL. It does no I/O.
func NewSubscriber(channelURL string, cfg SubscriberConfig) (*Subscriber, error) {
	if err := checkURL(channelURL); err != nil {
		return nil, err
	}
	if cfg.Start < SeqCurrent {
		return nil, fmt.Errorf("trickle: invalid start seq %d", cfg.Start)
	}
	if cfg.RetryTimeout <= 0 {
		cfg.RetryTimeout = DefaultRetryTimeout
	}
	switch {
	case cfg.StallTimeout == 0:
		cfg.StallTimeout = DefaultReadStallTimeout
	case cfg.StallTimeout < 0:
		cfg.StallTimeout = 0
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = defaultRetryDelay
	}
	if cfg.AheadDelay <= 0 {
		cfg.AheadDelay = 250 * time.Millisecond
	}
	s := &Subscriber{url: strings.TrimSuffix(channelURL, "/"), cfg: cfg, client: cfg.HTTPClient, log: cfg.Logger,
		seq: cfg.Start, skipFrom: -1, open: map[*Segment]struct{}{}}
	if s.client == nil {
		s.client, s.ownClient = newHTTPClient(cfg.VerifyTLS), true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// URL returns the channel URL.
func (s *Subscriber) URL() string { return s.url }

// Next returns the next segment as a streaming reader: its bytes arrive
// while the publisher is still writing it. Close each segment when done
// (reading it to EOF is not required). A segment closed with no data is
// returned as an empty segment. Next returns ErrEndOfStream when the server
// signalled the end of the channel (Lp-Trickle-Closed); an error wrapping
// ErrStreamNotFound for a channel the server does not know (ErrStreamVanished
// when this subscriber had seen it); with ReportSkips, a *SkipError after
// segments were skipped; an error wrapping ErrServerUnavailable after
// failing for RetryTimeout; an error wrapping ErrClosed after Close; or
// ctx.Err() (the request in flight is kept for the next call).
func (s *Subscriber) Next(ctx context.Context) (*Segment, error) {
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	jumps := 0
	for n := 1; ; n++ {
		if s.ctx.Err() != nil {
			return nil, errSubscriberClosed
		}
		s.mu.Lock()
		if s.ended != nil {
			s.mu.Unlock()
			return nil, s.ended
		}
		g := s.pending
		s.pending = nil
		if g == nil || g.seq != s.seq {
			if g != nil {
				s.discard(g)
			}
			g = s.startGet(s.seq)
		}
		s.mu.Unlock()

		select {
		case <-g.done:
		case <-ctx.Done():
			s.mu.Lock()
			s.pending = g // keep it for the next call
			s.mu.Unlock()
			return nil, ctx.Err()
		case <-s.ctx.Done():
			return nil, errSubscriberClosed
		}
		seg, retry, err := s.handle(ctx, g, &jumps)
		if seg == nil {
			g.cancel(nil) // its body was drained: release the request
		}
		if seg != nil || !retry {
			return seg, err
		}
		if err == nil {
			continue
		}
		elapsed := s.health.fail()
		if elapsed >= s.cfg.RetryTimeout {
			return nil, fmt.Errorf("trickle: subscribe %s: %w: failing for %v: %w", s.url, ErrServerUnavailable, elapsed.Round(time.Millisecond), err)
		}
		s.stats.retries.Add(1)
		d := min(backoff(s.cfg.RetryDelay, maxRetryDelay, n), s.cfg.RetryTimeout-elapsed)
		s.log.Debug("trickle: subscribe retry", "url", s.url, "seq", g.seq, "delay", d, "err", err)
		if !sleepCtx(ctx, s.ctx.Done(), d) {
			return nil, s.stopErr(ctx)
		}
	}
}

func (s *Subscriber) stopErr(ctx context.Context) error {
	if s.ctx.Err() != nil {
		return errSubscriberClosed
	}
	return ctx.Err()
}

// handle interprets a finished GET. It returns a segment; or retry=true to
// go round again (err != nil: a failure, retried within RetryTimeout); or a
// final error.
func (s *Subscriber) handle(ctx context.Context, g *getResult, jumps *int) (*Segment, bool, error) {
	if g.err != nil {
		if s.ctx.Err() != nil {
			return nil, false, errSubscriberClosed
		}
		return nil, true, fmt.Errorf("trickle: subscribe %s: %w", segURL(s.url, g.seq), g.err)
	}
	resp := g.resp
	code := resp.StatusCode
	if code != http.StatusRequestTimeout && code != http.StatusTooManyRequests && code < 500 {
		s.health.ok() // the server answered
	}
	switch {
	case isClosed(resp.Header):
		drainClose(resp.Body)
		return nil, false, s.end(ErrEndOfStream)
	case code == http.StatusNotFound:
		drainClose(resp.Body)
		s.mu.Lock()
		seen := s.seen
		s.mu.Unlock()
		if seen {
			return nil, false, s.end(fmt.Errorf("%w: %s", ErrStreamVanished, s.url))
		}
		return nil, false, s.end(fmt.Errorf("%w: %s", ErrStreamNotFound, s.url))
	case code == StatusSeqNotFound:
		drainClose(resp.Body)
		s.markSeen()
		latest, ok := headerSeq(resp.Header, HeaderLatest)
		s.mu.Lock()
		cur := s.seq
		s.mu.Unlock()
		if ok && cur >= 0 && latest > cur && latest-cur < maxSegmentsPerChannel {
			// A hole: the seq is missing although it would still be in the
			// ring (5 segments on go-livepeer and here; a pre-opened POST
			// can hold the slot of latest-5): its segment failed, e.g.
			// across a server restart. Step over it alone.
			s.setSeq(cur + 1)
			if skip := s.skipped(cur, cur+1); skip != nil && s.cfg.ReportSkips {
				return nil, false, skip
			}
			return nil, true, nil
		}
		if ok && (latest > cur || cur < 0) {
			// Behind the edge (the segment left the ring): jump to the
			// live edge, as go-livepeer's callers do (SetSeq(Latest)).
			*jumps++
			s.setSeq(latest)
			if skip := s.skipped(cur, latest); skip != nil && s.cfg.ReportSkips {
				return nil, false, skip
			}
			if *jumps > 3 && !sleepCtx(ctx, s.ctx.Done(), s.cfg.AheadDelay) {
				return nil, false, s.stopErr(ctx)
			}
			return nil, true, nil
		}
		// Ahead of the edge: wait and ask again; not a failure.
		if !sleepCtx(ctx, s.ctx.Done(), s.cfg.AheadDelay) {
			return nil, false, s.stopErr(ctx)
		}
		return nil, true, nil
	case code == http.StatusOK:
		s.markSeen()
		seq, ok := headerSeq(resp.Header, HeaderSeq)
		if !ok {
			seq = max(g.seq, 0)
		}
		if g.seq >= 0 && seq > g.seq {
			// The server answered a later seq than asked for.
			s.skipped(g.seq, seq)
		}
		seg := &Segment{s: s, seq: seq, body: resp.Body, header: resp.Header, ctx: g.ctx, cancel: g.cancel, stall: s.cfg.StallTimeout}
		s.mu.Lock()
		if s.skipFrom >= 0 {
			seg.skipped = seq - s.skipFrom
			s.skipFrom = -1
		}
		s.received = true
		s.stats.segments.Add(1)
		s.stats.touch()
		s.seq = seq + 1
		s.open[seg] = struct{}{}
		if s.ctx.Err() == nil {
			s.pending = s.startGet(s.seq) // preconnect
		}
		s.mu.Unlock()
		return seg, false, nil
	default:
		body := readSmall(resp.Body)
		drainClose(resp.Body)
		err := &StatusError{Op: "subscribe", URL: segURL(s.url, g.seq), Code: code, Body: body}
		if unavailableKind(err) {
			return nil, true, err
		}
		return nil, false, s.end(err)
	}
}

// skipped records that seqs from..to-1 were skipped; it returns the
// SkipError, or nil when nothing counts as skipped (no segment received
// yet: the subscriber is joining).
func (s *Subscriber) skipped(from, to int) *SkipError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from < 0 || to <= from || !s.received {
		s.log.Debug("trickle: joining at the server's edge", "url", s.url, "seq", from, "latest", to)
		return nil
	}
	if s.skipFrom < 0 {
		s.skipFrom = from
	}
	s.stats.skipped.Add(int64(to - from))
	s.log.Warn("trickle: segments skipped: they left the server's ring", "url", s.url, "from", from, "to", to-1, "count", to-from)
	if s.cfg.ReportSkips {
		s.skipFrom = -1
	}
	return &SkipError{From: from, To: to}
}

func (s *Subscriber) markSeen() {
	s.mu.Lock()
	s.seen = true
	s.mu.Unlock()
}

func (s *Subscriber) setSeq(seq int) {
	s.mu.Lock()
	s.seq = seq
	s.mu.Unlock()
}

func (s *Subscriber) end(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended == nil {
		s.ended = err
	}
	return s.ended
}

// startGet starts a GET for seq; s.mu must be held. The request has a
// context of its own, so a stalled or abandoned segment can be ended alone.
func (s *Subscriber) startGet(seq int) *getResult {
	ctx, cancel := context.WithCancelCause(s.ctx)
	g := &getResult{seq: seq, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(g.done)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, segURL(s.url, seq), nil)
		if err != nil {
			g.err = err
			return
		}
		g.resp, g.err = s.client.Do(req)
	}()
	return g
}

// discard drops an unused GET (its response, when it comes, is closed).
func (s *Subscriber) discard(g *getResult) {
	g.cancel(nil)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-g.done
		if g.resp != nil {
			_ = g.resp.Body.Close()
		}
	}()
}

// Seq returns the seq the next call to Next will ask for (-1/-2 before the
// first segment when started that way).
func (s *Subscriber) Seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Close cancels the pending GET, closes every segment still open (their
// Reads then fail with an error wrapping ErrClosed) and waits for the
// goroutines. Idempotent; returns nil.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.mu.Lock()
		segs := make([]*Segment, 0, len(s.open))
		for seg := range s.open {
			segs = append(segs, seg)
		}
		g := s.pending
		s.pending = nil
		s.mu.Unlock()
		for _, seg := range segs {
			_ = seg.Close()
		}
		s.wg.Wait()
		if g != nil && g.resp != nil {
			_ = g.resp.Body.Close()
		}
		closeIdle(s.client, s.ownClient)
	})
	return nil
}
