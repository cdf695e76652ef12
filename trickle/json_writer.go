package trickle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ControlConfig configures a ControlWriter.
type ControlConfig struct {
	// Publisher configures the underlying publisher; MimeType defaults to
	// "application/json".
	Publisher PublisherConfig
	// KeepaliveInterval: a {"keep":"alive"} message is sent when nothing
	// was sent for this long (default 10 s, as go-livepeer's gateway and the
	// Python SDK; negative disables).
	KeepaliveInterval time.Duration
}

// keepaliveMsg is the LV2V control keepalive.
var keepaliveMsg = []byte(`{"keep":"alive"}`)

// ControlWriter sends JSON control messages, one JSON object per trickle
// segment (LV2V control framing), with periodic keepalives. Safe for
// concurrent use.
type ControlWriter struct {
	p        *Publisher
	interval time.Duration
	mu       sync.Mutex // serialises segments
	last     time.Time
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	closeErr error
}

// NewControlWriter returns a control writer for the channel URL and starts
// its keepalive. It does no I/O until the first message.
func NewControlWriter(channelURL string, cfg ControlConfig) (*ControlWriter, error) {
	if cfg.Publisher.MimeType == "" {
		cfg.Publisher.MimeType = "application/json"
	}
	p, err := NewPublisher(channelURL, cfg.Publisher)
	if err != nil {
		return nil, err
	}
	if cfg.KeepaliveInterval == 0 {
		cfg.KeepaliveInterval = 10 * time.Second
	}
	c := &ControlWriter{p: p, interval: cfg.KeepaliveInterval, done: make(chan struct{}), last: time.Now()}
	if c.interval > 0 {
		c.wg.Add(1)
		go c.keepalive()
	}
	return c, nil
}

// Send marshals msg (json.Marshal; a json.RawMessage or []byte is sent as
// is) and publishes it as one segment. It returns the marshal error, the
// segment's error, ctx.Err(), or an error wrapping ErrClosed after Close.
func (c *ControlWriter) Send(ctx context.Context, msg any) error {
	var b []byte
	switch m := msg.(type) {
	case json.RawMessage:
		b = m
	case []byte:
		b = m
	default:
		var err error
		if b, err = json.Marshal(msg); err != nil {
			return fmt.Errorf("trickle: control message: %w", err)
		}
	}
	return c.send(ctx, b)
}

func (c *ControlWriter) send(ctx context.Context, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return errControlWriterClosed
	default:
	}
	w, err := c.p.Next(ctx)
	if err != nil {
		return err
	}
	if _, err := w.WriteContext(ctx, b); err != nil {
		w.abort(err)
		return err
	}
	c.last = time.Now()
	return w.Close()
}

func (c *ControlWriter) keepalive() {
	defer c.wg.Done()
	t := time.NewTimer(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		c.mu.Lock()
		idle := time.Since(c.last)
		c.mu.Unlock()
		if idle < c.interval {
			t.Reset(c.interval - idle)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.interval)
		err := c.send(ctx, keepaliveMsg)
		cancel()
		if err != nil {
			if errors.Is(err, ErrClosed) || errors.Is(err, ErrStreamNotFound) || errors.Is(err, ErrEndOfStream) || c.p.state() != nil {
				return
			}
			c.p.log.Warn("trickle: control keepalive failed", "url", c.p.url, "err", err)
		}
		t.Reset(c.interval)
	}
}

// Close stops the keepalive and closes the publisher (DELETE of the
// channel). It returns the publisher's Close error. Idempotent.
func (c *ControlWriter) Close() error {
	c.once.Do(func() {
		close(c.done)
		c.closeErr = c.p.Close() // ends a keepalive in flight
		c.wg.Wait()
	})
	return c.closeErr
}

// JSONLConfig configures a JSONLWriter.
type JSONLConfig struct {
	// Publisher configures the underlying publisher; MimeType defaults to
	// "application/jsonl".
	Publisher PublisherConfig
	// Interval is how long one segment stays open (default 10 s).
	Interval time.Duration
}

// JSONLWriter writes newline-delimited JSON into time-windowed segments: a
// segment is opened by the first message and closed after Interval (BYOC
// data channels). Safe for concurrent use.
type JSONLWriter struct {
	p        *Publisher
	interval time.Duration
	mu       sync.Mutex
	cur      *SegmentWriter
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	closeErr error
}

// NewJSONLWriter returns a JSONL writer for the channel URL.
func NewJSONLWriter(channelURL string, cfg JSONLConfig) (*JSONLWriter, error) {
	if cfg.Publisher.MimeType == "" {
		cfg.Publisher.MimeType = "application/jsonl"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	p, err := NewPublisher(channelURL, cfg.Publisher)
	if err != nil {
		return nil, err
	}
	j := &JSONLWriter{p: p, interval: cfg.Interval, done: make(chan struct{})}
	j.wg.Add(1)
	go j.rotate()
	return j, nil
}

// Write appends msg (marshalled, plus "\n") to the open segment, opening one
// if needed. On a write error the segment is dropped and the next Write
// opens a new one. It returns an error wrapping ErrClosed after Close.
func (j *JSONLWriter) Write(ctx context.Context, msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("trickle: jsonl message: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	select {
	case <-j.done:
		return errJSONLWriterClosed
	default:
	}
	if j.cur == nil {
		if j.cur, err = j.p.Next(ctx); err != nil {
			return err
		}
	}
	if _, err := j.cur.WriteContext(ctx, b); err != nil {
		j.cur.abort(err)
		j.cur = nil
		return err
	}
	return nil
}

// Flush closes the open segment now (its messages become a complete
// segment) and returns its error.
func (j *JSONLWriter) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cur == nil {
		return nil
	}
	err := j.cur.Close()
	j.cur = nil
	return err
}

func (j *JSONLWriter) rotate() {
	defer j.wg.Done()
	t := time.NewTicker(j.interval)
	defer t.Stop()
	for {
		select {
		case <-j.done:
			return
		case <-t.C:
			if err := j.Flush(); err != nil {
				j.p.log.Debug("trickle: jsonl segment failed", "url", j.p.url, "err", err)
			}
		}
	}
}

// Close closes the open segment, stops rotation and closes the publisher.
// Idempotent.
func (j *JSONLWriter) Close() error {
	j.once.Do(func() {
		_ = j.Flush()
		close(j.done)
		j.wg.Wait()
		j.closeErr = j.p.Close()
	})
	return j.closeErr
}
