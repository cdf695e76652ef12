package livepeertest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/ethsig"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// byocMinBalanceSeconds is how many seconds of compute a BYOC payer must
// hold to start or keep a stream (go-livepeer confirmPayment).
const byocMinBalanceSeconds = 60

// streamJob is the BYOC job header (go-livepeer byoc.JobRequest).
type streamJob struct {
	ID         string `json:"id"`
	Request    string `json:"request"`
	Parameters string `json:"parameters"`
	Capability string `json:"capability"`
	Sender     string `json:"sender"`
	Sig        string `json:"sig"`
	Timeout    int    `json:"timeout_seconds"`
}

// streamJobParams is the "parameters" JSON of a stream start
// (go-livepeer byoc.JobParameters).
type streamJobParams struct {
	EnableVideoIngress bool `json:"enable_video_ingress"`
	EnableVideoEgress  bool `json:"enable_video_egress"`
	EnableDataOutput   bool `json:"enable_data_output"`
}

// streamJobError is a rejected BYOC stream request and its status.
type streamJobError struct {
	status int
	msg    string
}

func (e *streamJobError) Error() string { return e.msg }

func (ls *LiveServer) registerStreamRoutes() {
	ls.o.handle("POST /ai/stream/start", http.HandlerFunc(ls.handleStreamStart))
	ls.o.handle("POST /ai/stream/update", http.HandlerFunc(ls.handleStreamUpdate))
	ls.o.handle("POST /ai/stream/stop", http.HandlerFunc(ls.handleStreamStop))
	ls.o.handle("POST /ai/stream/payment", http.HandlerFunc(ls.handleStreamPayment))
}

// verifyStreamJob decodes and checks the Livepeer header as go-livepeer's
// setupOrchJob does: timeout set, signature over request+parameters by
// sender (skipped off-chain, but the hex must decode), capability known,
// payment credited to (sender, capability) and at least 60 s of balance when
// the capability is priced (402), request JSON with a stream_id. It returns
// the job, its payer, the stream id and the capability.
func (ls *LiveServer) verifyStreamJob(r *http.Request) (*streamJob, eth.Address, string, *capability, error) {
	bad := func(msg string) (*streamJob, eth.Address, string, *capability, error) {
		return nil, eth.Address{}, "", nil, &streamJobError{http.StatusBadRequest, msg}
	}
	raw, err := base64.StdEncoding.DecodeString(r.Header.Get(lphttp.HeaderJob))
	if err != nil {
		return bad("Could not verify job creds")
	}
	var job streamJob
	if err := json.Unmarshal(raw, &job); err != nil {
		return bad("Could not verify job creds")
	}
	if job.Timeout == 0 {
		return bad("no timeout_seconds set with request")
	}
	sigHex := job.Sig
	if len(sigHex) > 130 {
		sigHex = strings.TrimPrefix(sigHex, "0x")
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return bad("Could not verify job creds")
	}
	sender := hexAddress(job.Sender)
	if !ls.o.isOffchain() && !verifySig(sender, ethsig.Keccak256([]byte(job.Request+job.Parameters)), sig) {
		return bad("Could not verify job creds")
	}
	c := ls.capability(capBYOC, job.Capability)
	if c == nil {
		return nil, sender, "", nil, &streamJobError{http.StatusBadRequest, "No capacity available for capability"}
	}
	if price := ls.chargedPrice(c); price != nil {
		if h := r.Header.Get(lphttp.HeaderPayment); h != "" {
			if _, err := ls.o.ProcessTickets(h, job.Capability); err != nil {
				ls.log.Debug("livepeertest: BYOC stream payment error", "err", err)
			}
		}
		min := new(big.Rat).Mul(price, big.NewRat(byocMinBalanceSeconds, 1))
		if new(big.Rat).SetInt(ls.o.Balance(sender, job.Capability)).Cmp(min) < 0 {
			return nil, sender, "", c, &streamJobError{http.StatusPaymentRequired, "insufficient balance"}
		}
	}
	var details struct {
		StreamID string `json:"stream_id"`
	}
	if err := json.Unmarshal([]byte(job.Request), &details); err != nil {
		return bad(fmt.Sprintf("Unable to unmarshal job request details err=%v", err))
	}
	return &job, sender, details.StreamID, c, nil
}

func writeStreamJobError(w http.ResponseWriter, err error) {
	var je *streamJobError
	if errors.As(err, &je) {
		http.Error(w, je.msg, je.status)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// handleStreamStart serves POST /ai/stream/start (go-livepeer
// byoc/stream_orchestrator.go StartStream): the stream is named by the job
// header's id; the channel URLs are answered in X-*-Url headers with an
// empty body. Unlike go-livepeer, starting an id that is already running is
// refused (500) without touching the running stream.
func (ls *LiveServer) handleStreamStart(w http.ResponseWriter, r *http.Request) {
	job, sender, _, c, err := ls.verifyStreamJob(r)
	if err != nil {
		writeStreamJobError(w, err)
		return
	}
	id := job.ID
	if id == "" || strings.ContainsAny(id, "/?#") {
		http.Error(w, "invalid stream id", http.StatusBadRequest)
		return
	}
	var jp streamJobParams
	if err := json.Unmarshal([]byte(job.Parameters), &jp); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	params, err := startParams(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ls.running(id) {
		http.Error(w, "Error adding stream to external capabilities", http.StatusInternalServerError)
		return
	}
	if !ls.reserve(c.model, c.capacity) {
		http.Error(w, "No capacity available for capability", http.StatusBadRequest)
		return
	}
	base := ls.o.URL() + tricklePath + id
	chans := streamChannels{Control: base + "-control", Events: base + "-events"}
	names := []string{"", "", id + "-control", id + "-events", ""}
	mimes := []string{"video/MP2T", "video/MP2T", "application/json", "application/json", "application/jsonl"}
	if jp.EnableVideoIngress {
		chans.In, names[0] = base, id
		w.Header().Set(lphttp.HeaderPublishURL, base)
	}
	if jp.EnableVideoEgress {
		chans.Out, names[1] = base+"-out", id+"-out"
		w.Header().Set(lphttp.HeaderSubscribeURL, base+"-out")
	}
	if jp.EnableDataOutput {
		names[4] = id + "-data"
		w.Header().Set(lphttp.HeaderDataURL, base+"-data")
	}
	w.Header().Set(lphttp.HeaderControlURL, chans.Control)
	w.Header().Set(lphttp.HeaderEventsURL, chans.Events)
	s := &liveStream{
		kind: "byoc", id: id, model: c.model, payer: sender, price: ls.chargedPrice(c),
		units: big.NewRat(1, 1), names: names, params: params,
	}
	if err := ls.startStream(s, chans, mimes); err != nil {
		for _, h := range []string{lphttp.HeaderPublishURL, lphttp.HeaderSubscribeURL, lphttp.HeaderDataURL, lphttp.HeaderControlURL, lphttp.HeaderEventsURL} {
			w.Header().Del(h)
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set(lphttp.HeaderBalance, ls.o.Balance(sender, c.model).String())
	w.WriteHeader(http.StatusOK)
}

// startParams reads a BYOC stream start body the way a worker behind
// go-livepeer reads it: the gateway sends {"params": {...}}
// (byoc/stream_gateway.go), the orchestrator merges the body's keys into
// the worker's /stream/start request (byoc/stream_orchestrator.go), and the
// worker takes "params". A body that is not a JSON object is refused as
// go-livepeer's orchestrator refuses it ("Invalid JSON body"); a missing or
// null "params" is no parameters; any other non-object "params" is refused.
func startParams(r io.Reader) (map[string]any, error) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&body); err != nil || body == nil {
		return nil, errors.New("Invalid JSON body")
	}
	params := map[string]any{}
	if raw, ok := body["params"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &params); err != nil || params == nil {
			return nil, errors.New("params must be a JSON object")
		}
	}
	return params, nil
}

// running reports whether a stream with this id is running.
func (ls *LiveServer) running(id string) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	s, ok := ls.streams[id]
	return ok && s.ended.IsZero()
}

// streamByID returns a running stream.
func (ls *LiveServer) streamByID(id string) *liveStream {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if s, ok := ls.streams[id]; ok && s.ended.IsZero() {
		return s
	}
	return nil
}

// handleStreamUpdate serves POST /ai/stream/update: the body (new
// parameters) reaches the pipeline like a control message, as go-livepeer
// forwards it to the worker's /stream/params.
func (ls *LiveServer) handleStreamUpdate(w http.ResponseWriter, r *http.Request) {
	_, _, id, _, err := ls.verifyStreamJob(r)
	if err != nil {
		writeStreamJobError(w, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlMessage))
	if err != nil {
		http.Error(w, "Error reading request body", http.StatusBadRequest)
		return
	}
	s := ls.streamByID(id)
	if s == nil {
		http.Error(w, "stream not found", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	s.ps.deliverControl(ctx, body)
	w.WriteHeader(http.StatusOK)
}

// handleStreamStop serves POST /ai/stream/stop: the stream named by the
// request's stream_id is ended and its channels closed. Stopping a stream
// that is not running answers 200 too.
func (ls *LiveServer) handleStreamStop(w http.ResponseWriter, r *http.Request) {
	_, _, id, _, err := ls.verifyStreamJob(r)
	if err != nil {
		writeStreamJobError(w, err)
		return
	}
	if s := ls.streamByID(id); s != nil {
		ls.endStream(s, EndStopped)
	}
	w.WriteHeader(http.StatusOK)
}

// handleStreamPayment serves POST /ai/stream/payment: the tickets in
// Livepeer-Payment are credited to (sender, capability) and the balance is
// answered in Livepeer-Balance. Less than 60 s of balance is refused (400),
// as go-livepeer's setupOrchJob does.
func (ls *LiveServer) handleStreamPayment(w http.ResponseWriter, r *http.Request) {
	job, sender, _, _, err := ls.verifyStreamJob(r)
	if err != nil {
		var je *streamJobError
		if errors.As(err, &je) && je.status == http.StatusPaymentRequired {
			je.status = http.StatusBadRequest
		}
		writeStreamJobError(w, err)
		return
	}
	w.Header().Set(lphttp.HeaderBalance, ls.o.Balance(sender, job.Capability).String())
	w.WriteHeader(http.StatusOK)
}
