package worker

import (
	"net/http"
	"sync/atomic"

	"github.com/coder/websocket"
)

// WebSocketEcho is a live-runner app that accepts a WebSocket upgrade and
// sends every message back, text as text and binary as binary, until the
// client closes (it then closes with the client's status) or the request
// ends. The first message it sends is a text greeting carrying the
// Livepeer-Session-Id the upgrade request carried ("session <id>"), so a
// test sees the orchestrator's injected headers on a WebSocket too.
// Messages are bounded by MaxRequestBytes. The origin is not checked: behind
// an orchestrator's proxy the Origin a browser sends names the orchestrator,
// not the runner. The zero value is ready; safe for concurrent use.
type WebSocketEcho struct {
	open, echoed atomic.Int64
}

// Open returns how many connections are open now.
func (e *WebSocketEcho) Open() int64 { return e.open.Load() }

// Echoed returns how many messages were sent back, in total.
func (e *WebSocketEcho) Echoed() int64 { return e.echoed.Load() }

// ServeHTTP upgrades the request (a request that is not a WebSocket
// upgrade gets coder/websocket's 4xx answer) and echoes.
func (e *WebSocketEcho) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) //nolint:gosec // see the type's doc
	if err != nil {
		return
	}
	e.open.Add(1)
	defer e.open.Add(-1)
	defer c.CloseNow()
	c.SetReadLimit(MaxRequestBytes)
	ctx := r.Context()
	if err := c.Write(ctx, websocket.MessageText, []byte("session "+r.Header.Get("Livepeer-Session-Id"))); err != nil {
		return
	}
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if s := websocket.CloseStatus(err); s != -1 {
				_ = c.Close(s, "")
			}
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
		e.echoed.Add(1)
	}
}
