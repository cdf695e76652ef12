package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
	"github.com/livepeer/livepeer-go-gateway/media"
	"github.com/livepeer/livepeer-go-gateway/rtc"
)

// Runner starts live sessions for the page's runs.
type Runner interface {
	// Start opens a live session; cancelling ctx or closing the LiveRun
	// ends it.
	Start(ctx context.Context, spec RunSpec) (LiveRun, error)
}

// RunSpec is everything a run needs: what to run and how to pay. The
// signer and discovery URLs are the playground's own hosted signer, with a
// run token that bills the signed-in account.
type RunSpec struct {
	Capability       string
	Model            string
	Params           map[string]any
	SignerURL        string
	SignerHeaders    map[string]string
	DiscoveryURL     string
	DiscoveryHeaders map[string]string
}

// LiveRun is a running live session (implemented over livepeer.LiveSession).
type LiveRun interface {
	NextSegment(ctx context.Context) (io.WriteCloser, error)
	Subscribe(ctx context.Context) iter.Seq2[io.ReadCloser, error]
	Control(ctx context.Context, msg any) error
	Done() <-chan struct{}
	Err() error
	Close() error
}

// maxRunsPerUser bounds the live runs of one account.
const maxRunsPerUser = 2

// mediaWait is how long a created run waits for the page's camera (WHIP)
// before it ends on its own (a page that crashed or was closed in between).
const mediaWait = time.Minute

// run is one browser run: WHIP in, Live session, WHEP out, params.
type run struct {
	id       string
	userID   int64
	token    string
	wf       *workflow.Workflow
	model    string
	s        *Server
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	started  time.Time
	stopping atomic.Bool // set as soon as the run starts ending

	mu       sync.Mutex
	params   map[string]any
	state    string // "waiting-media", "starting", "running", "ended"
	errState *ErrorState
	live     LiveRun
	liveUp   chan struct{} // closed when live is set (or the run failed)
	ingest   *rtc.Ingest
	egress   *rtc.Egress
	debounce *time.Timer
	pending  bool
	inAt     map[int64]time.Time // when input segment n was opened (latency)
	latency  time.Duration       // last output segment's arrival − its input's
	firstOut time.Time           // first output segment's arrival
	ended    time.Time

	inSegs, outSegs, controls atomic.Int64
}

// liveRunsLocked returns userID's runs that are not ending, oldest first
// (stopped runs stay listed a minute for their end state but do not count).
func (s *Server) liveRunsLocked(userID int64) []*run {
	var out []*run
	for _, r := range s.runs {
		if r.userID == userID && !r.stopping.Load() {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *run) int { return a.started.Compare(b.started) })
	return out
}

// runSummary is a run as the page lists it.
type runSummary struct {
	ID        string    `json:"id"`
	Model     string    `json:"model"`
	State     string    `json:"state"`
	StartedAt time.Time `json:"startedAt"`
}

func (rn *run) summary() runSummary {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return runSummary{ID: rn.id, Model: rn.model, State: rn.state, StartedAt: rn.started}
}

func summaries(runs []*run) []runSummary {
	out := make([]runSummary, 0, len(runs))
	for _, r := range runs {
		out = append(out, r.summary())
	}
	return out
}

// handleListRuns is GET /api/runs: the account's live runs.
func (s *Server) handleListRuns(w http.ResponseWriter, r *http.Request) {
	u := s.currentUser(r)
	if u == nil {
		writeErrorState(w, http.StatusUnauthorized, NewErrorState(SignedOut, ""))
		return
	}
	s.mu.Lock()
	runs := s.liveRunsLocked(u.ID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"runs": summaries(runs)})
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) *run {
	u := s.currentUser(r)
	if u == nil {
		writeErrorState(w, http.StatusUnauthorized, NewErrorState(SignedOut, ""))
		return nil
	}
	s.mu.Lock()
	rn := s.runs[r.PathValue("id")]
	s.mu.Unlock()
	if rn == nil || rn.userID != u.ID {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"message": "no such run"}})
		return nil
	}
	return rn
}

type startRunRequest struct {
	Workflow string         `json:"workflow"`
	Model    string         `json:"model"`
	Params   map[string]any `json:"params"`
}

func (s *Server) handleStartRun(w http.ResponseWriter, r *http.Request) {
	u := s.currentUser(r)
	if u == nil {
		writeErrorState(w, http.StatusUnauthorized, NewErrorState(SignedOut, "Sign in to run."))
		return
	}
	var req startRunRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		writeErrorState(w, http.StatusBadRequest, NewErrorState(InvalidParams, "The request is not valid JSON."))
		return
	}
	wf, ok := s.cfg.Workflows.Get(req.Workflow)
	if !ok {
		writeErrorState(w, http.StatusNotFound, NewErrorState(NoOrchestrator, "Unknown workflow "+req.Workflow+"."))
		return
	}
	m, ok := wf.Model(req.Model)
	if !ok {
		writeErrorState(w, http.StatusBadRequest, NewErrorState(InvalidParams, "model: must be one of the listed models."))
		return
	}
	params, err := wf.Apply(m.Copy(), req.Params)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": NewErrorState(InvalidParams, err.Error()), "field": fieldOf(err)})
		return
	}
	if s.cfg.Runner == nil {
		writeErrorState(w, http.StatusServiceUnavailable, NewErrorState(NoOrchestrator, "This playground has no network configured."))
		return
	}
	// Refuse up front when the budget cannot cover a first payment: the
	// same out-of-credit state the signer would give a moment later.
	if e, ok := s.cannotAffordStart(r.Context(), u.ID); ok {
		writeErrorState(w, 483, e)
		return
	}
	sid := cookieValue(r, sessionCookie)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeErrorState(w, http.StatusServiceUnavailable, NewErrorState(SignerDown, "The server is shutting down."))
		return
	}
	if live := s.liveRunsLocked(u.ID); len(live) >= maxRunsPerUser {
		s.mu.Unlock()
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": TooManyRunsState(len(live)), "runs": summaries(live)})
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	rn := &run{id: randomString(12), userID: u.ID, token: runTokenPfx + randomString(32), wf: wf, model: m.ID, s: s,
		ctx: ctx, cancel: cancel, params: params, state: "waiting-media", liveUp: make(chan struct{}), started: time.Now()}
	rn.wg.Add(1) // awaitMedia, before any stop can Wait
	s.runs[rn.id] = rn
	s.runTokens[rn.token] = runToken{userID: u.ID, sessionID: sid, runID: rn.id}
	s.mu.Unlock()
	go rn.awaitMedia()
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": rn.id, "whip": "/api/runs/" + rn.id + "/whip", "whep": "/api/runs/" + rn.id + "/whep",
		"params": params, "model": m.ID, "capability": wf.CapabilityName(m.ID),
	})
}

func fieldOf(err error) string {
	var fe *workflow.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func (s *Server) dropRunTokensOf(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.runTokens {
		if v.sessionID == sessionID {
			delete(s.runTokens, k)
		}
	}
}

// fail records the run's error state (the first one wins) and ends it. An
// out-of-credit state gets the account's exact figures.
func (rn *run) fail(e ErrorState) {
	if e.Kind == OutOfCredit {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if u, err := rn.s.store.UserByID(ctx, rn.userID); err == nil {
			raw := e.Raw
			e = OutOfCreditState(u.CapWei, u.SpentWei)
			e.Raw = raw
		}
		cancel()
	}
	rn.mu.Lock()
	if rn.errState == nil {
		rn.errState = &e
	}
	rn.mu.Unlock()
	go rn.stop()
}

// awaitMedia ends a run whose camera never connected.
func (rn *run) awaitMedia() {
	defer rn.wg.Done()
	t := time.NewTimer(mediaWait)
	defer t.Stop()
	select {
	case <-rn.ctx.Done():
	case <-t.C:
		rn.mu.Lock()
		waiting := rn.ingest == nil
		rn.mu.Unlock()
		if waiting {
			rn.fail(NewErrorState(CameraDenied, "The camera never connected to this run, so it ended."))
		}
	}
}

// stop ends the run and waits for its goroutines; idempotent.
func (rn *run) stop() {
	rn.stopping.Store(true)
	rn.stopOnce.Do(func() {
		rn.cancel()
		rn.mu.Lock()
		if rn.debounce != nil {
			rn.debounce.Stop()
		}
		live, in, out := rn.live, rn.ingest, rn.egress
		rn.mu.Unlock()
		if in != nil {
			_ = in.Close()
		}
		if out != nil {
			_ = out.Close()
		}
		if live != nil {
			_ = live.Close()
		}
		rn.wg.Wait()
		rn.mu.Lock()
		rn.state = "ended"
		rn.ended = time.Now()
		rn.mu.Unlock()
		rn.s.mu.Lock()
		delete(rn.s.runTokens, rn.token)
		rn.s.mu.Unlock()
		// The run stays listed a minute so the page can read its end state.
		time.AfterFunc(time.Minute, func() {
			rn.s.mu.Lock()
			delete(rn.s.runs, rn.id)
			rn.s.mu.Unlock()
		})
	})
}

// endedState is the error state of a run that has ended (its own, or "the
// run ended"), and false while it runs.
func (rn *run) endedState() (ErrorState, bool) {
	if rn.ctx.Err() == nil {
		return ErrorState{}, false
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.errState != nil {
		return *rn.errState, true
	}
	return NewErrorState(PipelineError, "This run was stopped; press Run to start a new one."), true
}

// writeEnded answers a media request for a run that has ended with the
// run's own error state (409), so the page shows why, not a media error.
func (rn *run) writeEnded(w http.ResponseWriter) bool {
	e, ended := rn.endedState()
	if ended {
		writeErrorState(w, http.StatusConflict, e)
	}
	return ended
}

func readSDP(w http.ResponseWriter, r *http.Request) (string, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || len(b) == 0 {
		http.Error(w, "expected an SDP offer (application/sdp)", http.StatusBadRequest)
		return "", false
	}
	return string(b), true
}

// handleWHIP takes the camera: an SDP offer in, the answer out (201), then
// the Live session starts and the camera's H.264 goes into it unchanged.
func (s *Server) handleWHIP(w http.ResponseWriter, r *http.Request) {
	rn := s.getRun(w, r)
	if rn == nil {
		return
	}
	offer, ok := readSDP(w, r)
	if !ok || rn.writeEnded(w) {
		return
	}
	seg, segErr := rn.newSegmenter()
	if segErr != nil {
		http.Error(w, segErr.Error(), http.StatusInternalServerError)
		return
	}
	in, answer, err := rtc.NewIngest(rn.ctx, offer, rtc.IngestOptions{
		OnAccessUnit: func(pts int64, au []byte) {
			if err := seg.WriteH264(rn.ctx, pts, au); err != nil && rn.ctx.Err() == nil {
				rn.s.log.Debug("web: segmenter", "err", err)
			}
		},
		Logger: s.log,
	})
	if errors.Is(err, rtc.ErrNoH264) {
		_ = seg.Close()
		writeErrorState(w, http.StatusUnsupportedMediaType, NewErrorState(CodecUnsupported, ""))
		return
	}
	if err != nil {
		_ = seg.Close()
		if !rn.writeEnded(w) {
			http.Error(w, "WHIP: "+err.Error(), http.StatusBadRequest)
		}
		return
	}
	rn.mu.Lock()
	if rn.ingest != nil || rn.ctx.Err() != nil {
		rn.mu.Unlock()
		_ = in.Close()
		_ = seg.Close()
		if !rn.writeEnded(w) {
			http.Error(w, "this run already has a camera", http.StatusConflict)
		}
		return
	}
	rn.ingest = in
	rn.state = "starting"
	rn.mu.Unlock()
	rn.wg.Add(1)
	go func() {
		defer rn.wg.Done()
		defer seg.Close()
		select {
		case <-rn.ctx.Done():
		case <-in.Gone(): // the browser closed the tab or lost the network
			rn.s.log.Info("web: camera gone, ending the run", "run", rn.id)
			go rn.stop()
		}
	}()
	rn.wg.Add(1)
	go rn.startLive()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/api/runs/"+rn.id+"/whip")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// newSegmenter cuts the camera's access units into MPEG-TS segments, each
// written into the session's next input segment once the session is up.
func (rn *run) newSegmenter() (*media.Segmenter, error) {
	sink := media.SinkFunc(func(ctx context.Context) (io.WriteCloser, error) {
		select {
		case <-rn.liveUp:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		rn.mu.Lock()
		live := rn.live
		rn.mu.Unlock()
		if live == nil {
			return nil, errors.New("run ended")
		}
		n := rn.inSegs.Add(1)
		rn.mu.Lock()
		if rn.inAt == nil {
			rn.inAt = map[int64]time.Time{}
		}
		rn.inAt[n] = time.Now()
		delete(rn.inAt, n-64) // keep a bounded window
		rn.mu.Unlock()
		return live.NextSegment(ctx)
	})
	return media.NewSegmenter(sink, media.SegmenterOptions{Logger: rn.s.log})
}

// startLive opens the session through the hosted signer with the run token.
func (rn *run) startLive() {
	defer rn.wg.Done()
	base := rn.s.cfg.BaseURL
	auth := map[string]string{"Authorization": "Bearer " + rn.token}
	rn.mu.Lock()
	params := copyParams(rn.params)
	rn.mu.Unlock()
	live, err := rn.s.cfg.Runner.Start(rn.ctx, RunSpec{
		Capability: rn.wf.Capability, Model: rn.model, Params: params,
		SignerURL: base, SignerHeaders: auth, DiscoveryURL: base + "/discover-orchestrators", DiscoveryHeaders: auth,
	})
	if err != nil {
		close(rn.liveUp)
		if rn.ctx.Err() == nil {
			rn.s.log.Info("web: run failed to start", "run", rn.id, "err", err)
			rn.fail(ErrorStateFor(err))
		}
		return
	}
	rn.mu.Lock()
	rn.live = live
	rn.state = "running"
	rn.mu.Unlock()
	close(rn.liveUp)
	if rn.ctx.Err() != nil {
		_ = live.Close()
		return
	}
	rn.wg.Add(1)
	go rn.watch(live)
}

// watch turns the session's end into the run's end state.
func (rn *run) watch(live LiveRun) {
	defer rn.wg.Done()
	select {
	case <-live.Done():
		e := NewErrorState(PipelineError, "The stream ended.")
		if err := live.Err(); err != nil {
			rn.s.log.Info("web: run ended", "run", rn.id, "err", err)
			e = ErrorStateFor(err)
		}
		// An orchestrator ends the stream of a payer whose credit ran out
		// (after the session's prepaid time, once the signer stopped
		// selling tickets) without saying why: when the session ended
		// without a reason of its own and the budget cannot pay for more,
		// that is the reason to show.
		if e.Kind == PipelineError && rn.budgetExhausted() {
			raw := e.Raw
			e = NewErrorState(OutOfCredit, "")
			e.Raw = raw
		}
		rn.fail(e)
	case <-rn.ctx.Done():
	}
}

// budgetExhausted reports whether the run's account cannot pay for more
// streaming (nothing left, or less than a first payment needs).
func (rn *run) budgetExhausted() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, exhausted := rn.s.cannotAffordStart(ctx, rn.userID)
	return exhausted
}

// handleWHEP plays the output: an SDP offer (recvonly) in, the answer out;
// the session's output segments are demuxed and their H.264 access units
// written to the track without re-encoding.
func (s *Server) handleWHEP(w http.ResponseWriter, r *http.Request) {
	rn := s.getRun(w, r)
	if rn == nil {
		return
	}
	offer, ok := readSDP(w, r)
	if !ok || rn.writeEnded(w) {
		return
	}
	out, answer, err := rtc.NewEgress(rn.ctx, offer, rtc.EgressOptions{Logger: s.log})
	if err != nil {
		if !rn.writeEnded(w) {
			http.Error(w, "WHEP: "+err.Error(), http.StatusBadRequest)
		}
		return
	}
	rn.mu.Lock()
	if rn.egress != nil || rn.ctx.Err() != nil {
		rn.mu.Unlock()
		_ = out.Close()
		if !rn.writeEnded(w) {
			http.Error(w, "this run already has a player", http.StatusConflict)
		}
		return
	}
	rn.egress = out
	rn.mu.Unlock()
	rn.wg.Add(2)
	go rn.pumpOutput(out)
	go func() {
		defer rn.wg.Done()
		select {
		case <-rn.ctx.Done():
		case <-out.Gone(): // the player went away with the page
			rn.s.log.Info("web: player gone, ending the run", "run", rn.id)
			go rn.stop()
		}
	}()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/api/runs/"+rn.id+"/whep")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

func (rn *run) pumpOutput(out *rtc.Egress) {
	defer rn.wg.Done()
	select {
	case <-rn.liveUp:
	case <-rn.ctx.Done():
		return
	}
	rn.mu.Lock()
	live := rn.live
	rn.mu.Unlock()
	if live == nil {
		return
	}
	var lastPTS int64 = -1
	for seg, err := range live.Subscribe(rn.ctx) {
		if err != nil {
			return
		}
		rn.noteOutput(rn.outSegs.Add(1))
		d := media.NewDemuxer(seg, media.DemuxerOptions{})
		for {
			p, err := d.ReadPacket()
			if err != nil {
				break
			}
			if p.Codec != media.CodecH264 {
				continue
			}
			dur := time.Second / 30
			if lastPTS >= 0 && p.PTS > lastPTS && p.PTS-lastPTS < media.ClockRate {
				dur = media.TicksToDuration(p.PTS - lastPTS)
			}
			lastPTS = p.PTS
			if err := out.WriteAccessUnit(p.Data, dur); err != nil {
				break
			}
		}
		_ = seg.Close()
	}
}

// noteOutput records output segment n's arrival. The latency is its
// arrival minus the opening of input segment n: the in-process pipeline
// cuts its output at the input's keyframes, one output segment per input
// segment, so this is the delay of each segment's first frame (on the real
// network segments need not line up: an estimate).
func (rn *run) noteOutput(n int64) {
	now := time.Now()
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.firstOut.IsZero() {
		rn.firstOut = now
	}
	if t, ok := rn.inAt[n]; ok && now.After(t) {
		rn.latency = now.Sub(t)
	}
}

func copyParams(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// handleParams applies a patch, validates the full set, and schedules the
// debounced control message carrying all of it. The answer says what the
// change does to the running pipeline: "effect" ("live", "reload", or ""
// for no change) and the parameters that have that effect ("changed").
func (s *Server) handleParams(w http.ResponseWriter, r *http.Request) {
	rn := s.getRun(w, r)
	if rn == nil {
		return
	}
	var patch map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&patch); err != nil {
		writeErrorState(w, http.StatusBadRequest, NewErrorState(InvalidParams, "The request is not valid JSON."))
		return
	}
	rn.mu.Lock()
	next, err := rn.wf.Apply(rn.params, patch)
	if err != nil {
		rn.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": NewErrorState(InvalidParams, err.Error()), "field": fieldOf(err)})
		return
	}
	// What the change does to the running pipeline (streamdiffusion.Diff
	// for StreamDiffusion): a change ai-runner refuses mid-stream is not
	// taken; one that reloads the pipeline is, and the page says so.
	var effect workflow.Effect
	var changed []string
	if rn.wf.Typed != nil {
		if effect, changed, err = rn.wf.Typed.Change(rn.params, next); err != nil {
			rn.mu.Unlock()
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": NewErrorState(InvalidParams, err.Error()), "field": fieldOf(err)})
			return
		}
	}
	if effect == workflow.Rejected {
		rn.mu.Unlock()
		fe := &workflow.FieldError{Field: changed[0], Reason: "cannot change during a run; it is fixed when the session starts"}
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": NewErrorState(InvalidParams, fe.Error()), "field": fe.Field})
		return
	}
	if effect == workflow.Reload {
		rn.s.log.Info("web: parameter change reloads the pipeline", "run", rn.id, "fields", changed)
	}
	rn.params = next
	rn.pending = true
	delay := time.Duration(rn.wf.ControlDebounceMS) * time.Millisecond
	if rn.debounce == nil {
		rn.debounce = time.AfterFunc(delay, rn.flushParams)
	} else {
		rn.debounce.Reset(delay)
	}
	rn.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"params": next, "effect": effect, "changed": changed})
}

// flushParams sends the whole current parameter set on the control channel.
func (rn *run) flushParams() {
	rn.mu.Lock()
	live := rn.live
	if !rn.pending || rn.ctx.Err() != nil {
		rn.mu.Unlock()
		return
	}
	if live == nil { // not up yet: the start params will be re-sent once it is
		rn.debounce.Reset(200 * time.Millisecond)
		rn.mu.Unlock()
		return
	}
	rn.pending = false
	params := copyParams(rn.params)
	rn.mu.Unlock()
	ctx, cancel := context.WithTimeout(rn.ctx, 10*time.Second)
	defer cancel()
	if err := live.Control(ctx, params); err != nil {
		rn.s.log.Info("web: control", "run", rn.id, "err", err)
		return
	}
	rn.controls.Add(1)
}

func (s *Server) handleRunStatus(w http.ResponseWriter, r *http.Request) {
	rn := s.getRun(w, r)
	if rn == nil {
		return
	}
	spent, payments, err := s.store.SourceUsage(r.Context(), rn.userID, rn.source())
	if err != nil {
		s.log.Warn("web: run usage", "run", rn.id, "err", err)
	}
	rn.mu.Lock()
	end := time.Now()
	if !rn.ended.IsZero() {
		end = rn.ended
	}
	out := map[string]any{
		"id": rn.id, "state": rn.state, "params": rn.params, "model": rn.model,
		"inputSegments": rn.inSegs.Load(), "outputSegments": rn.outSegs.Load(), "controls": rn.controls.Load(),
		"startedAt": rn.started, "seconds": int64(end.Sub(rn.started) / time.Second),
		"spentWei": spent, "spent": eth(spent), "payments": payments,
	}
	if rn.latency > 0 {
		out["latencyMs"] = rn.latency.Milliseconds()
	}
	if !rn.firstOut.IsZero() {
		out["firstOutputMs"] = rn.firstOut.Sub(rn.started).Milliseconds()
	}
	if rn.errState != nil {
		out["error"] = rn.errState
	}
	rn.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// source is the ledger source of the run's payments.
func (rn *run) source() string { return "run:" + rn.id }

func (s *Server) handleStopRun(w http.ResponseWriter, r *http.Request) {
	rn := s.getRun(w, r)
	if rn == nil {
		return
	}
	rn.stop()
	w.WriteHeader(http.StatusNoContent)
}
