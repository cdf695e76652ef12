package trickle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// PublisherConfig configures a Publisher. The zero value is usable.
type PublisherConfig struct {
	// MimeType is sent as Content-Type of every segment (default
	// "video/MP2T", as go-livepeer's publisher).
	MimeType string
	// HTTPClient sends the requests. Default: a client with bounded dial and
	// TLS handshake, no total timeout, HTTP/1.1, and no certificate
	// verification unless VerifyTLS (orchestrators use self-signed certs).
	HTTPClient *http.Client
	// VerifyTLS makes the default client verify server certificates.
	VerifyTLS bool
	// Logger receives logs; default discards.
	Logger *slog.Logger
	// FirstSeq is the seq of the first segment. 0 (the default) asks the
	// server (GET {channel}/next), which also resumes a restarted publisher;
	// a server without /next makes the publisher start at 0.
	FirstSeq int
	// NoReset disables Lp-Trickle-Reset on the first segment (sent by
	// default, as the Python SDK does, to unblock subscribers waiting on
	// segments of an earlier publisher).
	NoReset bool
	// RetryTimeout bounds how long the publisher keeps retrying a server it
	// cannot reach (connection errors, 408, 429, 5xx, stalls): a segment's
	// POST is retried with backoff while none of its bytes were sent, and
	// once every segment has failed for this long the publisher gives up:
	// Next and Write then return an error wrapping ErrServerUnavailable
	// (default DefaultRetryTimeout, 10 s; it rides out a server restart of
	// a few seconds). Retrying is bounded by time, not by a count.
	RetryTimeout time.Duration
	// StallTimeout bounds how long a POST in flight may take no byte of a
	// segment being written, or give no answer once the segment ended; the
	// segment then fails with ErrStalled (default
	// DefaultPublishStallTimeout, 10 s; negative disables).
	StallTimeout time.Duration
	// RetryDelay is the first backoff delay (default 100 ms, doubling up to
	// 250 ms, with jitter).
	RetryDelay time.Duration
	// CloseTimeout bounds the DELETE requests: the one sent by Close, and
	// the one closing a failed segment's seq (default 5 s).
	CloseTimeout time.Duration
}

// Publisher publishes segments to one trickle channel. Segments are handed
// out by Next in order; the following segment's POST is opened in advance
// (preconnect) so the next segment starts without a round trip. It is safe
// for concurrent use; Next calls are serialised.
type Publisher struct {
	url       string
	cfg       PublisherConfig
	client    *http.Client
	ownClient bool
	log       *slog.Logger
	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	health    outage
	stats     pubStats

	nextMu   sync.Mutex // serialises Next
	mu       sync.Mutex
	seq      int  // seq of the next writer to create
	resolved bool // seq is known
	first    bool // the next writer created is the first (Reset)
	pending  *SegmentWriter
	live     map[*SegmentWriter]struct{}
	terminal error
	closing  bool

	closeOnce sync.Once
	closeErr  error
}

// NewPublisher returns a publisher for the channel URL (e.g.
// https://orch:8935/ai/trickle/abc-in). It does no I/O. It returns an error
// for a malformed URL.
func NewPublisher(channelURL string, cfg PublisherConfig) (*Publisher, error) {
	if err := checkURL(channelURL); err != nil {
		return nil, err
	}
	if cfg.MimeType == "" {
		cfg.MimeType = "video/MP2T"
	}
	if cfg.RetryTimeout <= 0 {
		cfg.RetryTimeout = DefaultRetryTimeout
	}
	switch {
	case cfg.StallTimeout == 0:
		cfg.StallTimeout = DefaultPublishStallTimeout
	case cfg.StallTimeout < 0:
		cfg.StallTimeout = 0
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = defaultRetryDelay
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 5 * time.Second
	}
	p := &Publisher{url: strings.TrimSuffix(channelURL, "/"), cfg: cfg, client: cfg.HTTPClient, log: cfg.Logger,
		live: map[*SegmentWriter]struct{}{}, first: !cfg.NoReset}
	if p.client == nil {
		p.client, p.ownClient = newHTTPClient(cfg.VerifyTLS), true
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if cfg.FirstSeq > 0 {
		p.seq, p.resolved = cfg.FirstSeq, true
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("trickle: invalid channel URL %q", s)
	}
	return nil
}

// URL returns the channel URL.
func (p *Publisher) URL() string { return p.url }

// Next returns the writer of the next segment, already connected (or
// connecting), and preconnects the one after. Write the segment and Close
// the writer; the next call may happen before that (segments then overlap,
// which the server accepts). A seq the server closed or refused before any
// byte was sent (a Reset, a DELETE of the seq, another publisher's
// segment) is skipped. Next fails with an error wrapping ErrClosed after
// Close, with ErrStreamNotFound or ErrEndOfStream once the channel is gone,
// with an error wrapping ErrServerUnavailable once the publisher gave up
// (see RetryTimeout), or with ctx.Err().
func (p *Publisher) Next(ctx context.Context) (*SegmentWriter, error) {
	p.nextMu.Lock()
	defer p.nextMu.Unlock()
	if err := p.state(); err != nil {
		return nil, err
	}
	if err := p.resolve(ctx); err != nil {
		return nil, err
	}
	for skips := 0; ; skips++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p.mu.Lock()
		if p.closing {
			p.mu.Unlock()
			return nil, errPublisherClosed
		}
		if p.terminal != nil {
			p.mu.Unlock()
			return nil, p.terminal
		}
		w := p.pending
		p.pending = nil
		if w == nil {
			w = p.startLocked()
		}
		// A preconnect the server already answered without taking a byte
		// (its seq was closed or taken) is useless: skip it.
		if w.finishedEarly() && skips < 8 {
			p.mu.Unlock()
			continue
		}
		p.pending = p.startLocked()
		p.mu.Unlock()
		return w, nil
	}
}

// Write publishes one whole segment read from r: Next, the bytes, then
// CloseContext, all bounded by ctx. It returns nil only when the server
// stored the segment (see SegmentWriter.CloseContext); else the segment's
// error, r's error, ctx.Err(), or the errors of Next.
func (p *Publisher) Write(ctx context.Context, r io.Reader) error {
	w, err := p.Next(ctx)
	if err != nil {
		return err
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := w.WriteContext(ctx, buf[:n]); err != nil {
				w.abort(err)
				return err
			}
		}
		if rerr != nil {
			if rerr != io.EOF {
				w.abort(rerr)
				return rerr
			}
			return w.CloseContext(ctx)
		}
	}
}

func (p *Publisher) state() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return errPublisherClosed
	}
	return p.terminal
}

// resolve learns the first seq from GET /next when needed.
func (p *Publisher) resolve(ctx context.Context) error {
	p.mu.Lock()
	done := p.resolved
	p.mu.Unlock()
	if done {
		return nil
	}
	seq, err := p.fetchNext(ctx)
	if err != nil {
		if p.ctx.Err() != nil {
			return errPublisherClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrEndOfStream) {
			return err
		}
		// 404 included: a server with Autocreate creates the channel on
		// the first POST; without it the POST's 404 is terminal.
		p.log.Debug("trickle: GET /next failed; starting at 0", "url", p.url, "err", err)
		seq = 0
	}
	p.mu.Lock()
	p.seq, p.resolved = seq, true
	p.mu.Unlock()
	return nil
}

func (p *Publisher) fetchNext(ctx context.Context) (int, error) {
	ctx, stop := mergeCancel(ctx, p.ctx)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/next", nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer drainClose(resp.Body)
	switch {
	case isClosed(resp.Header):
		return 0, ErrEndOfStream
	case resp.StatusCode == http.StatusNotFound:
		return 0, fmt.Errorf("%w: %s", ErrStreamNotFound, p.url)
	case resp.StatusCode != http.StatusOK:
		return 0, &StatusError{Op: "next", URL: p.url, Code: resp.StatusCode, Body: readSmall(resp.Body)}
	}
	seq, ok := headerSeq(resp.Header, HeaderLatest)
	if !ok {
		return 0, fmt.Errorf("trickle: /next without %s", HeaderLatest)
	}
	return seq, nil
}

// startLocked creates the writer for p.seq and starts its POST.
func (p *Publisher) startLocked() *SegmentWriter {
	w := &SegmentWriter{p: p, seq: p.seq, reset: p.first, done: make(chan struct{}), rseq: -1}
	w.pipe = newSegPipe(p.cfg.StallTimeout, p.stats.took)
	w.ctx, w.cancel = context.WithCancelCause(p.ctx)
	p.first = false
	p.seq++
	p.live[w] = struct{}{}
	p.wg.Add(1)
	go w.run()
	return w
}

// segmentDone records the outcome of a finished segment.
func (p *Publisher) segmentDone(w *SegmentWriter, err error, terminal bool) {
	p.mu.Lock()
	delete(p.live, w)
	closing := p.closing
	if terminal && !closing && p.terminal == nil {
		p.terminal = err
	}
	p.mu.Unlock()
	switch {
	case err == nil:
		p.stats.segments.Add(1)
		p.stats.bytes.Add(w.pipe.consumed.Load())
	case errors.Is(err, errSkipped):
		p.stats.skipped.Add(1)
	case !closing:
		p.stats.failed.Add(1)
	}
}

func (p *Publisher) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closing
}

// Close ends the preconnected POST, deletes the channel on the server
// (DELETE {channel}, bounded by CloseTimeout), aborts segments still being
// written and waits for every goroutine. It returns the DELETE's error,
// except a 404/400 (channel already gone). Idempotent.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closing = true
		p.mu.Unlock()
		// DELETE first: the server then ends the preconnected POST and the
		// subscribers with Lp-Trickle-Closed.
		p.closeErr = p.deleteChannel()
		p.mu.Lock()
		pending := p.pending
		p.pending = nil
		p.mu.Unlock()
		if pending != nil {
			pending.pipe.closeWith(errWriterClosed)
		}
		p.cancel()
		p.mu.Lock()
		for w := range p.live {
			w.pipe.closeWith(errWriterClosed)
		}
		p.mu.Unlock()
		p.wg.Wait()
		closeIdle(p.client, p.ownClient)
	})
	return p.closeErr
}

func (p *Publisher) deleteChannel() error {
	return p.delete(p.ctx, p.url)
}

// delete sends DELETE url bounded by CloseTimeout. 200, 400 and 404 (the
// channel or seq already gone) are success.
func (p *Publisher) delete(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.CloseTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.log.Debug("trickle: DELETE failed", "url", url, "err", err)
		return fmt.Errorf("trickle: delete %s: %w", url, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest {
		return nil
	}
	return &StatusError{Op: "delete", URL: url, Code: resp.StatusCode, Body: readSmall(resp.Body)}
}

// mergeCancel returns a context cancelled when either a or b is done.
func mergeCancel(a, b context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() { stop(); cancel() }
}
