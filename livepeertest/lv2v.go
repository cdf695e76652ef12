package livepeertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// tricklePath is where an orchestrator serves trickle channels (go-livepeer's
// TrickleHTTPPath).
const tricklePath = "/ai/trickle/"

// defaultDebitInterval is how often a live stream is charged
// (go-livepeer's -livePaymentInterval default).
const defaultDebitInterval = 5 * time.Second

// liveBilledPixelsPerSecond is what go-livepeer bills a live-video-to-video stream
// for each second, whatever its real size: 1280×720 at 30 fps
// (server/live_payment_processor.go defaultSegInfo).
const liveBilledPixelsPerSecond = 1280 * 720 * 30

// LiveConfig configures the live routes every orchestrator of a Network
// serves (NetworkConfig.Live). The zero value serves every
// live-video-to-video model and BYOC capability of the orchestrator with
// [Transform], except the "noop" model, which gets [Passthrough].
type LiveConfig struct {
	// Pipelines maps an LV2V model id or a BYOC capability name to the
	// pipeline serving it.
	Pipelines map[string]Pipeline
	// Default serves models and capabilities missing from Pipelines; nil
	// means Transform(TransformConfig{}).
	Default Pipeline
	// DebitInterval is how often a stream's balance is charged
	// (default 5 s, go-livepeer's -livePaymentInterval).
	DebitInterval time.Duration
	// TrickleIdleTimeout closes channels with no new segment for this long
	// (default 5 min, as go-livepeer).
	TrickleIdleTimeout time.Duration
}

// LiveServer adds live routes to an [Orchestrator]: a trickle server at
// /ai/trickle/, live-video-to-video (POST /live-video-to-video) and BYOC
// streams (POST /ai/stream/start|update|stop|payment), each stream run by a
// [Pipeline] that reads and writes its trickle channels over HTTP, as
// ai-runner and BYOC workers do. All methods are safe for concurrent use.
type LiveServer struct {
	o       *Orchestrator
	cfg     LiveConfig
	log     *slog.Logger
	trickle *trickle.Server

	mu      sync.Mutex
	streams map[string]*liveStream
	inUse   map[string]int // running streams per model / capability
	closed  bool
	wg      sync.WaitGroup
}

// enableLive mounts the live routes on o and returns the server that runs
// the streams. Call Close (before or after o.Close) to stop every stream and
// wait for them. It panics, like http.ServeMux, if the routes are already
// registered on o.
func enableLive(o *Orchestrator, cfg LiveConfig) *LiveServer {
	if cfg.DebitInterval <= 0 {
		cfg.DebitInterval = defaultDebitInterval
	}
	ls := &LiveServer{o: o, cfg: cfg, log: o.logger(), streams: map[string]*liveStream{}, inUse: map[string]int{}}
	ls.trickle = trickle.NewServer(trickle.ServerConfig{BasePath: tricklePath, IdleTimeout: cfg.TrickleIdleTimeout, Logger: ls.log})
	o.handle(tricklePath, ls.trickle)
	o.handle("POST /live-video-to-video", http.HandlerFunc(ls.handleLV2V))
	o.handle("/scope", http.HandlerFunc(ls.handleScope)) // scope.go
	ls.registerStreamRoutes()
	return ls
}

// Trickle returns the trickle server behind /ai/trickle/.
func (ls *LiveServer) Trickle() *trickle.Server { return ls.trickle }

// Close ends every stream (closing its channels), stops the trickle server
// and waits for every goroutine the server started. Idempotent.
func (ls *LiveServer) Close() error {
	ls.mu.Lock()
	ls.closed = true
	streams := make([]*liveStream, 0, len(ls.streams))
	for _, s := range ls.streams {
		streams = append(streams, s)
	}
	ls.mu.Unlock()
	for _, s := range streams {
		ls.endStream(s, "orchestrator closed")
	}
	ls.wg.Wait()
	return ls.trickle.Close()
}

// pipelineFor returns the pipeline serving a model or capability.
func (ls *LiveServer) pipelineFor(name string) Pipeline {
	if p, ok := ls.cfg.Pipelines[name]; ok && p != nil {
		return p
	}
	if name == "noop" {
		return Passthrough()
	}
	if ls.cfg.Default != nil {
		return ls.cfg.Default
	}
	return Transform(TransformConfig{})
}

// lv2vRequest is the body of POST /live-video-to-video
// (go-livepeer LiveVideoToVideoParams).
type lv2vRequest struct {
	ModelID          *string        `json:"model_id"`
	Params           map[string]any `json:"params"`
	GatewayRequestID *string        `json:"gateway_request_id"`
	StreamID         *string        `json:"stream_id"`
}

// lv2vResponse is the answer (go-livepeer LiveVideoToVideoResponse).
type lv2vResponse struct {
	PublishURL   string `json:"publish_url"`
	SubscribeURL string `json:"subscribe_url"`
	ControlURL   string `json:"control_url"`
	EventsURL    string `json:"events_url"`
	ManifestID   string `json:"manifest_id"`
}

// handleLV2V serves POST /live-video-to-video with go-livepeer's checks in
// go-livepeer's order: body, capacity (503), payment (402/403/400), then the
// four channels are created and the pipeline started.
func (ls *LiveServer) handleLV2V(w http.ResponseWriter, r *http.Request) {
	var req lv2vRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.ModelID == nil || *req.ModelID == "" {
		// go-livepeer dereferences model_id and crashes the handler; answer 400 instead.
		http.Error(w, "model_id is required", http.StatusBadRequest)
		return
	}
	model := *req.ModelID
	c := ls.capability(capLiveVideoToVideo, model)
	if c == nil || !ls.reserve(model, c.capacity) {
		http.Error(w, "insufficient capacity", http.StatusServiceUnavailable)
		return
	}
	mid := newManifestID()
	payer, status, err := ls.lv2vStartPayment(r, mid)
	if err != nil {
		ls.release(model)
		http.Error(w, err.Error(), status)
		return
	}
	base := ls.o.URL() + tricklePath + mid
	chans := streamChannels{In: base, Out: base + "-out", Control: base + "-control", Events: base + "-events"}
	params := req.Params
	if params == nil {
		params = map[string]any{}
	}
	s := &liveStream{
		kind: "lv2v", id: mid, model: model, payer: payer, price: ls.chargedPrice(c),
		units:  big.NewRat(liveBilledPixelsPerSecond, 1),
		names:  []string{mid, mid + "-out", mid + "-control", mid + "-events"},
		params: params,
	}
	if req.StreamID != nil {
		s.streamID = *req.StreamID
	}
	if req.GatewayRequestID != nil {
		s.requestID = *req.GatewayRequestID
	}
	if err := ls.startStream(s, chans, []string{"video/MP2T", "video/MP2T", "application/json", "application/json"}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(lv2vResponse{
		PublishURL: chans.In, SubscribeURL: chans.Out, ControlURL: chans.Control, EventsURL: chans.Events, ManifestID: mid,
	})
}

// randomID returns 8 hex characters, like go-livepeer's RandomManifestID.
func newManifestID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (ls *LiveServer) reserve(name string, capacity int) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed || ls.inUse[name] >= max(capacity, 1) {
		return false
	}
	ls.inUse[name]++
	return true
}

func (ls *LiveServer) release(name string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.inUse[name] > 0 {
		ls.inUse[name]--
	}
}

// startStream creates the stream's channels (names[i] with mimes[i]; an
// empty name is skipped), starts its pipeline and its debit loop. On error
// the capacity is released.
func (ls *LiveServer) startStream(s *liveStream, chans streamChannels, mimes []string) error {
	fail := func(err error) error {
		for _, n := range s.names {
			if n != "" {
				_ = ls.trickle.CloseChannel(n)
			}
		}
		ls.release(s.model)
		return err
	}
	for i, n := range s.names {
		if n == "" {
			continue
		}
		if err := ls.trickle.CreateChannel(n, mimes[i]); err != nil {
			return fail(err)
		}
	}
	s.ps = &PipelineStream{ID: s.id, Model: s.model, Params: s.params}
	s.started = time.Now()
	s.stopDebit = make(chan struct{})
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return fail(errors.New("orchestrator closed"))
	}
	ls.streams[s.id] = s
	ls.wg.Add(2)
	ls.mu.Unlock()
	p := s.pipeline
	if p == nil {
		p = ls.pipelineFor(s.model)
	}
	run, err := startStreamRun(p, s.ps, chans, nil, ls.log, func(err error) { ls.onRunEnd(s, err) })
	if err != nil {
		ls.mu.Lock()
		delete(ls.streams, s.id)
		ls.mu.Unlock()
		ls.wg.Add(-2)
		return fail(err)
	}
	ls.mu.Lock()
	s.run = run
	ls.mu.Unlock()
	go ls.debitLoop(s)
	return nil
}

// debitLoop charges the stream every DebitInterval and ends it when the
// payer's balance falls short (LV2V at once, as go-livepeer's
// LivePaymentProcessor; BYOC after two short checks in a row, as
// byoc/stream_orchestrator.go).
func (ls *LiveServer) debitLoop(s *liveStream) {
	defer ls.wg.Done()
	t := time.NewTicker(ls.cfg.DebitInterval)
	defer t.Stop()
	last := s.started
	short := 0
	for {
		select {
		case <-s.stopDebit:
			return
		case now := <-t.C:
			secs := now.Sub(last)
			last = now
			if s.price == nil || s.price.Sign() == 0 {
				continue
			}
			fee := new(big.Rat).Mul(s.price, s.units)
			fee.Mul(fee, new(big.Rat).SetFloat64(secs.Seconds()))
			bal := ls.o.debit(s.payer, s.account(), liveRatCeil(fee))
			ls.mu.Lock()
			s.debits++
			s.charged = new(big.Rat).Add(s.chargedOrZero(), fee)
			ls.mu.Unlock()
			if bal.Sign() >= 0 {
				short = 0
				continue
			}
			short++
			if s.kind == "lv2v" || short >= 2 {
				ls.endStream(s, EndInsufficientBalance)
				return
			}
		}
	}
}

// endStream ends a stream from the orchestrator's side: every channel is
// closed (clients see the end of their channels) and the pipeline stopped.
// It does not wait; the run's end is recorded by onRunEnd.
func (ls *LiveServer) endStream(s *liveStream, reason string) {
	ls.mu.Lock()
	if s.reason == "" {
		s.reason = reason
	}
	run := s.run
	ls.mu.Unlock()
	for _, n := range s.names {
		if n != "" {
			_ = ls.trickle.CloseChannel(n)
		}
	}
	if run != nil {
		run.cancel()
	}
}

// onRunEnd records the end of a stream's pipeline and releases everything.
func (ls *LiveServer) onRunEnd(s *liveStream, err error) {
	for _, n := range s.names {
		if n != "" {
			_ = ls.trickle.CloseChannel(n)
		}
	}
	ls.mu.Lock()
	if s.reason == "" {
		if err != nil && !errors.Is(err, context.Canceled) {
			s.reason = "pipeline error: " + err.Error()
		} else {
			s.reason = EndInputClosed
		}
	}
	s.ended = time.Now()
	ls.mu.Unlock()
	close(s.stopDebit)
	ls.release(s.model)
	ls.wg.Done()
}

// Reasons a stream ended, as reported by StreamInfo.EndReason.
const (
	EndInputClosed         = "input closed"
	EndStopped             = "stopped"
	EndInsufficientBalance = "insufficient balance"
	EndOrchestratorClosed  = "orchestrator closed"
)

// liveStream is the server's record of one stream.
type liveStream struct {
	kind, id, model, streamID, requestID string
	payer                                eth.Address // balance owner (the payment's sender)
	price                                *big.Rat
	units                                *big.Rat // billed units per second
	names                                []string
	params                               map[string]any
	pipeline                             Pipeline // nil: pipelineFor(model)

	ps        *PipelineStream
	run       *streamRun
	started   time.Time
	stopDebit chan struct{}

	// guarded by LiveServer.mu
	reason  string
	ended   time.Time
	debits  int
	charged *big.Rat
}

// account is the balance the stream draws on: the manifest id for LV2V, the
// capability name for BYOC (go-livepeer keeps one balance per capability).
func (s *liveStream) account() string {
	if s.kind == "byoc" {
		return s.model
	}
	return s.id
}

func (s *liveStream) chargedOrZero() *big.Rat {
	if s.charged == nil {
		return new(big.Rat)
	}
	return s.charged
}

// StreamInfo describes a stream a [LiveServer] runs or ran.
type StreamInfo struct {
	Kind      string // "lv2v" or "byoc"
	ID        string // manifest id (LV2V) or stream id (BYOC)
	Model     string // model id or BYOC capability name
	StreamID  string // the client's stream_id (LV2V), if it sent one
	RequestID string // the client's gateway_request_id (LV2V), if it sent one
	Params    map[string]any
	InSegs    int // input segments the pipeline read
	OutSegs   int // output segments it wrote
	Control   int // control messages received, keepalives excluded
	Debits    int // balance checks that charged the stream
	Charged   *big.Rat
	Running   bool
	EndReason string // one of the End* constants, or "pipeline error: ..."
}

// Streams returns every stream the server started, running or ended, in
// start order.
func (ls *LiveServer) Streams() []StreamInfo {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	all := make([]*liveStream, 0, len(ls.streams))
	for _, s := range ls.streams {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b *liveStream) int { return a.started.Compare(b.started) })
	out := make([]StreamInfo, len(all))
	for i, s := range all {
		out[i] = ls.infoLocked(s)
	}
	return out
}

// Stream returns one stream by id (manifest id or BYOC stream id).
func (ls *LiveServer) Stream(id string) (StreamInfo, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	s, ok := ls.streams[id]
	if !ok {
		return StreamInfo{}, false
	}
	return ls.infoLocked(s), true
}

func (ls *LiveServer) infoLocked(s *liveStream) StreamInfo {
	in, out, ctl := s.ps.counts()
	return StreamInfo{
		Kind: s.kind, ID: s.id, Model: s.model, StreamID: s.streamID, RequestID: s.requestID, Params: s.params,
		InSegs: in, OutSegs: out, Control: ctl, Debits: s.debits, Charged: new(big.Rat).Set(s.chargedOrZero()),
		Running: s.ended.IsZero(), EndReason: s.reason,
	}
}
