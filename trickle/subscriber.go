package trickle

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// MaxAttempts bounds consecutive failed requests (network errors,
	// unexpected statuses) for one segment (default 5). A 470 does not
	// count: behind the edge the subscriber jumps to Lp-Trickle-Latest,
	// ahead of it it waits AheadDelay and asks again.
	MaxAttempts int
	// RetryDelay is the first backoff delay (default 100 ms, doubling up to
	// 2 s).
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
	seq  int
	done chan struct{}
	resp *http.Response
	err  error
}

// NewSubscriber returns a subscriber for the channel URL. It does no I/O.
func NewSubscriber(channelURL string, cfg SubscriberConfig) (*Subscriber, error) {
	if err := checkURL(channelURL); err != nil {
		return nil, err
	}
	if cfg.Start < SeqCurrent {
		return nil, fmt.Errorf("trickle: invalid start seq %d", cfg.Start)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 100 * time.Millisecond
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
// returned as an empty segment. Next returns ErrEndOfStream when the channel
// ended cleanly (Lp-Trickle-Closed, or 404 after the channel was seen),
// ErrStreamNotFound for a channel that never existed, ErrClosed after Close,
// ctx.Err(), or the last error after MaxAttempts failures in a row.
func (s *Subscriber) Next(ctx context.Context) (*Segment, error) {
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	fails, jumps := 0, 0
	for {
		if s.ctx.Err() != nil {
			return nil, ErrClosed
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
			return nil, ErrClosed
		}
		seg, retry, err := s.handle(g, &fails, &jumps)
		if seg != nil || !retry {
			return seg, err
		}
		if err != nil {
			fails++
			if fails >= s.cfg.MaxAttempts {
				return nil, fmt.Errorf("trickle: subscribe %s: giving up after %d attempts: %w", s.url, fails, err)
			}
			d := backoff(s.cfg.RetryDelay, 2*time.Second, fails)
			s.log.Debug("trickle: subscribe retry", "url", s.url, "seq", g.seq, "attempt", fails, "delay", d, "err", err)
			if !sleepCtx(ctx, s.ctx.Done(), d) {
				return nil, s.stopErr(ctx)
			}
		}
	}
}

func (s *Subscriber) stopErr(ctx context.Context) error {
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	return ctx.Err()
}

// handle interprets a finished GET. It returns a segment, or retry=true to
// go round again (err != nil counts as a failed attempt), or a final error.
func (s *Subscriber) handle(g *getResult, fails, jumps *int) (*Segment, bool, error) {
	if g.err != nil {
		if s.ctx.Err() != nil {
			return nil, false, ErrClosed
		}
		return nil, true, g.err
	}
	resp := g.resp
	code := resp.StatusCode
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
		if ok && (latest > cur || cur < 0) {
			// Behind the edge (the segment left the ring): jump forward.
			*jumps++
			s.setSeq(latest)
			if skip := s.skipped(cur, latest); skip != nil && s.cfg.ReportSkips {
				return nil, false, skip
			}
			if *jumps > 3 {
				if !sleepCtx(context.Background(), s.ctx.Done(), s.cfg.AheadDelay) {
					return nil, false, ErrClosed
				}
			}
			return nil, true, nil
		}
		// Ahead of the edge: wait and ask again, without using an attempt.
		if !sleepCtx(context.Background(), s.ctx.Done(), s.cfg.AheadDelay) {
			return nil, false, ErrClosed
		}
		return nil, true, nil
	case code == http.StatusOK:
		s.markSeen()
		seq, ok := headerSeq(resp.Header, HeaderSeq)
		if !ok {
			seq = max(g.seq, 0)
		}
		*fails = 0
		if g.seq >= 0 && seq > g.seq {
			// The server answered a later seq than asked for.
			s.skipped(g.seq, seq)
		}
		seg := &Segment{s: s, seq: seq, body: resp.Body, header: resp.Header}
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
		if code == http.StatusBadRequest {
			return nil, false, s.end(err)
		}
		return nil, true, err
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

// startGet starts a GET for seq; s.mu must be held.
func (s *Subscriber) startGet(seq int) *getResult {
	g := &getResult{seq: seq, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(g.done)
		req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, segURL(s.url, seq), nil)
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
// Reads then fail) and waits for the goroutines. Idempotent; returns nil.
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

// Segment is one segment being received: an io.ReadCloser over the bytes
// as they arrive. Read is not safe for concurrent use; Close may be called
// from any goroutine.
type Segment struct {
	s       *Subscriber
	seq     int
	skipped int
	body    io.ReadCloser
	header  http.Header
	once    sync.Once
}

// Seq returns the segment's sequence number (Lp-Trickle-Seq).
func (g *Segment) Seq() int { return g.seq }

// Skipped returns how many segments right before this one the subscriber
// skipped (Seq()-Skipped() to Seq()-1) because they had left the server's
// ring; 0 when none. With SubscriberConfig.ReportSkips the skip was
// reported by Next instead, and this is 0.
func (g *Segment) Skipped() int { return g.skipped }

// ContentType returns the channel's mime type as the server reported it.
func (g *Segment) ContentType() string { return g.header.Get("Content-Type") }

// Latest returns Lp-Trickle-Latest when the server sent it (the subscriber
// was behind the write head), else -1.
func (g *Segment) Latest() int {
	if n, ok := headerSeq(g.header, HeaderLatest); ok {
		return n
	}
	return -1
}

// Read reads segment bytes; io.EOF at the end of the segment. A connection
// lost mid-segment gives io.ErrUnexpectedEOF or a network error.
func (g *Segment) Read(p []byte) (int, error) {
	n, err := g.body.Read(p)
	if n > 0 {
		g.s.stats.bytes.Add(int64(n))
		g.s.stats.touch()
	}
	if err != nil && err != io.EOF && g.s.ctx.Err() != nil {
		err = ErrClosed
	}
	return n, err
}

// Close releases the segment's connection. Idempotent.
func (g *Segment) Close() error {
	g.once.Do(func() {
		_ = g.body.Close()
		g.s.mu.Lock()
		delete(g.s.open, g)
		g.s.mu.Unlock()
	})
	return nil
}

var _ = errors.Is
