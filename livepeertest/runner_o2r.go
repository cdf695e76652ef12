package livepeertest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// o2rKeepalive is what go-livepeer writes on an idle O2R channel
// (liveRunnerO2RKeepaliveMessage).
var o2rKeepalive = []byte(`{"keep":"alive"}`)

// o2rQueueSize is go-livepeer's O2R message buffer; events beyond it are dropped.
const o2rQueueSize = 32

// o2rChannel is a dynamic runner's orchestrator-to-runner JSON channel
// (go-livepeer liveRunnerTrickleChannel + writeO2RLoop): one JSON message
// per trickle segment, a keepalive every O2R interval, session events
// queued without blocking. go-livepeer writes through a local publisher;
// here a trickle.ControlWriter publishes over the orchestrator's own HTTPS
// port, so a runner reads exactly what it would read from go-livepeer.
type o2rChannel struct {
	r        *RunnerRegistry
	desc     runnerChannel
	msgs     chan []byte
	ctx      context.Context // cancelled by close or the registry's Close
	cancel   context.CancelFunc
	once     sync.Once
	finished chan struct{}
}

// startO2R creates the channel on the trickle server and starts its writer.
// Called with r.mu held.
func (r *RunnerRegistry) startO2R(name string) (*o2rChannel, error) {
	if err := r.ls.trickle.CreateChannel(name, "application/json"); err != nil {
		return nil, err
	}
	u := r.runnerURI() + tricklePath + name
	cw, err := trickle.NewControlWriter(u, trickle.ControlConfig{
		Publisher:         trickle.PublisherConfig{HTTPClient: r.hc, Logger: r.log},
		KeepaliveInterval: -1, // keepalives come from the loop, on master's fixed ticker
	})
	if err != nil {
		_ = r.ls.trickle.CloseChannel(name)
		return nil, err
	}
	c := &o2rChannel{
		r:    r,
		desc: runnerChannel{Name: "o2r", ChannelName: name, URL: u, MimeType: "application/json"},
		msgs: make(chan []byte, o2rQueueSize), finished: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(r.ctx)
	r.wg.Add(1)
	go c.loop(cw)
	return c, nil
}

func (c *o2rChannel) loop(cw *trickle.ControlWriter) {
	defer c.r.wg.Done()
	defer close(c.finished)
	defer func() { _ = cw.Close() }()
	t := time.NewTicker(c.r.cfg.O2RInterval)
	defer t.Stop()
	for {
		var msg []byte
		select {
		case <-c.ctx.Done():
			return
		case msg = <-c.msgs:
		case <-t.C:
			msg = o2rKeepalive
		}
		if !c.write(cw, msg) {
			return
		}
	}
}

// write publishes one message; false once the channel is gone (go-livepeer
// stops the loop on StreamNotFound).
func (c *o2rChannel) write(cw *trickle.ControlWriter, msg []byte) bool {
	ctx, cancel := context.WithTimeout(c.ctx, c.r.cfg.O2RInterval+5*time.Second)
	defer cancel()
	err := cw.Send(ctx, json.RawMessage(msg))
	if err == nil {
		return true
	}
	if errors.Is(err, trickle.ErrStreamNotFound) || errors.Is(err, trickle.ErrEndOfStream) || errors.Is(err, trickle.ErrClosed) {
		c.close()
		return false
	}
	c.r.log.Debug("livepeertest: O2R write failed", "channel", c.desc.ChannelName, "err", err)
	return c.ctx.Err() == nil
}

// sessionEvent queues {"event","session","timestamp"}; dropped when the
// channel is closed or its queue is full, as on go-livepeer. Nil-safe
// (static runners have no O2R channel).
func (c *o2rChannel) sessionEvent(event, sessionID string) {
	if c == nil {
		return
	}
	b, _ := json.Marshal(struct {
		Event     string    `json:"event"`
		Session   string    `json:"session"`
		Timestamp time.Time `json:"timestamp"`
	}{event, sessionID, time.Now().UTC()})
	if c.ctx.Err() != nil {
		return
	}
	select {
	case c.msgs <- b:
	default:
		c.r.log.Warn("livepeertest: O2R queue full, event dropped", "channel", c.desc.ChannelName, "event", event)
	}
}

// close terminates the channel at once (subscribers read an empty segment
// with Lp-Trickle-Closed, then 404) and stops the writer. Nil-safe,
// idempotent, does not wait.
func (c *o2rChannel) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		c.cancel()
		_ = c.r.ls.trickle.CloseChannel(c.desc.ChannelName)
	})
}

// wait blocks until the writer has stopped.
func (c *o2rChannel) wait() { <-c.finished }
