package runner

import (
	"context"
	"encoding/json"
	"time"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// o2rReader reads a registration's orchestrator-to-runner channel: one
// JSON message per trickle segment (go-livepeer writeO2RLoop), read with
// trickle.JSONReader.
type o2rReader struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startO2R starts reading url (fresh registrations from the first segment,
// resumed ones from the live edge). No-op for an empty URL or after Close.
func (l *regLoop) startO2R(url string, resumed bool) {
	if url == "" {
		return
	}
	r := l.r
	cfg := trickle.SubscriberConfig{HTTPClient: r.cfg.HTTPClient, VerifyTLS: r.cfg.VerifyTLS, Logger: r.log}
	if resumed {
		cfg.Start = trickle.SeqLive
	}
	sub, err := trickle.NewSubscriber(url, cfg)
	if err != nil {
		r.log.Warn("runner: bad O2R channel URL", "orchestrator", l.o.URL, "err", err)
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	o := &o2rReader{cancel: cancel, done: make(chan struct{})}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		cancel()
		_ = sub.Close()
		return
	}
	r.loopWG.Add(1)
	r.mu.Unlock()
	l.mu.Lock()
	old := l.o2r
	l.o2r = o
	l.mu.Unlock()
	old.stop()
	go func() {
		defer r.loopWG.Done()
		defer close(o.done)
		defer sub.Close()
		for raw, err := range trickle.ReadJSON(ctx, sub, 0) {
			if err != nil {
				// A malformed message is skipped; any other error is the
				// last one the iteration yields (the end of the stream
				// ends it without one).
				r.log.Debug("runner: O2R read error", "orchestrator", l.o.URL, "err", err)
				continue
			}
			var m o2rMessage
			if json.Unmarshal(raw, &m) != nil {
				continue
			}
			switch m.Event {
			case "reserved":
				l.onReserved(m.Session)
			case "released":
				r.endByID(l, m.Session, "released")
			}
		}
	}()
}

func (l *regLoop) onReserved(id string) {
	if id == "" {
		return
	}
	l.mu.Lock()
	creds := l.creds
	l.mu.Unlock()
	if creds.RunnerID == "" {
		return
	}
	l.r.learn(l, creds.RunnerID, creds.Orchestrator, id, "", time.Now())
}

// stop ends the reader and waits for it; nil-safe.
func (o *o2rReader) stop() {
	if o == nil {
		return
	}
	o.cancel()
	<-o.done
}
