package livepeertest

// File:line references to go-livepeer in this file are to master
// 176aa415ccea4f9861e0dd44e981cda17fb36f52 (ai-runner: 50a742cee7c5789ef4a10f8117f30de3758366a9).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// aiWorkerAuthorization is go-livepeer's protoVerAIWorker (server/ai_worker.go:38).
const aiWorkerAuthorization = "Livepeer-AI-Worker-1.0"

// DefaultAIResultTTL is how long generated files stay downloadable
// (go-livepeer aiWorkerResultsTimeout, core/ai_orchestrator.go:35).
const DefaultAIResultTTL = 10 * time.Minute

// AIConfig configures EnableAI. The zero value is ready to use.
type AIConfig struct {
	// ResultTTL is how long generated files stay downloadable; 0 means DefaultAIResultTTL.
	ResultTTL time.Duration
	// FFmpeg and FFprobe are the binaries the toy image-to-video and
	// audio-to-text models run; "" looks them up on PATH.
	FFmpeg, FFprobe string
}

// AICharge is one request an orchestrator charged for: the units and fee
// its handleAIRequest debits (server/ai_http.go:1661, core/orchestrator.go:480-488).
type AICharge struct {
	Sender     eth.Address // the payer (zero offchain)
	Capability string      // "<pipeline>/<model>"
	ManifestID string      // "<capability id>_<model>", the balance it is debited from
	Units      int64
	Fee        *big.Rat // Units × the payment's expected price, in wei (zero offchain)
}

// AIServer serves go-livepeer's built-in batch AI routes on one
// orchestrator (POST /text-to-image, /image-to-image, /image-to-video,
// /upscale, /audio-to-text, /llm, /segment-anything-2, /image-to-text,
// /text-to-speech, as server/ai_http.go:81-89) with deterministic toy
// models, and GET /stream/<request id>/<file> for the files they generate.
// A request is answered for the AI capabilities in the orchestrator's
// Capabilities; others get 503 "insufficient capacity", as go-livepeer
// answers for a model it does not run. Safe for concurrent use.
type AIServer struct {
	o   *Orchestrator
	cfg AIConfig

	mu      sync.Mutex
	files   map[string]storedFile
	charges []AICharge
	faults  map[string][]string // capability → queued runner failure texts
}

type storedFile struct {
	data    []byte
	ctype   string
	expires time.Time
}

// EnableAI mounts the batch AI routes on o and returns their server.
func EnableAI(o *Orchestrator, cfg AIConfig) *AIServer {
	if cfg.ResultTTL <= 0 {
		cfg.ResultTTL = DefaultAIResultTTL
	}
	s := &AIServer{o: o, cfg: cfg, files: map[string]storedFile{}, faults: map[string][]string{}}
	for _, p := range aipipeline.Pipelines() {
		o.handle("POST "+p.Path(), s.handler(p))
	}
	o.handle("GET /stream/{request}/{file}", http.HandlerFunc(s.serveFile))
	return s
}

// Charges returns every request charged so far, in order.
func (s *AIServer) Charges() []AICharge {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AICharge, len(s.charges))
	for i, c := range s.charges {
		c.Fee = new(big.Rat).Set(c.Fee)
		out[i] = c
	}
	return out
}

// FailRunner makes the runner of capability ("<pipeline>/<model>") fail the
// next n requests that reach it (after payment) with message, which the
// orchestrator answers as a 500. A message like "<pipeline> container
// returned 400: ..." imitates a runner refusing the input (ai/worker/worker.go:108-114).
func (s *AIServer) FailRunner(capability string, n int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[capability] = append(s.faults[capability], message)
	}
}

func (s *AIServer) takeFault(capability string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[capability]
	if len(q) == 0 {
		return "", false
	}
	s.faults[capability] = q[1:]
	return q[0], true
}

// Close drops the stored files. Routes stay mounted until the orchestrator closes.
func (s *AIServer) Close() error {
	s.mu.Lock()
	s.files = map[string]storedFile{}
	s.mu.Unlock()
	return nil
}

func aiError(w http.ResponseWriter, msg string, status int) { http.Error(w, msg, status) }

// handler is go-livepeer's aiHttpHandle + handleAIRequest
// (server/ai_http.go:967-981, 1380-1736), check for check in the same order.
func (s *AIServer) handler(p aipipeline.Pipeline) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := s.o
		// 1. Decode the body: 400 with the decoder's text.
		req, err := decodeAIRequest(p, r)
		if err != nil {
			aiError(w, err.Error(), http.StatusBadRequest)
			return
		}
		// 2. Livepeer-Payment: 402 when it does not decode (ai_http.go:1381-1385).
		payment, err := decodePayment(r.Header.Get(lphttp.HeaderPayment))
		if err != nil {
			aiError(w, err.Error(), http.StatusPaymentRequired)
			return
		}
		sender := paymentSender(payment)
		// 3. Livepeer-Segment: 403 (ai_http.go:1388-1392).
		if _, err := o.verifySegCreds(r.Header.Get(lphttp.HeaderSegment), sender); err != nil {
			aiError(w, err.Error(), http.StatusForbidden)
			return
		}
		// 4. Model and units; unreadable media: 400 (ai_http.go:1402-1574).
		job, msg := s.unitsFor(r.Context(), p, req)
		if msg != "" {
			aiError(w, msg, http.StatusBadRequest)
			return
		}
		name := string(p) + "/" + job.model
		manifestID := strconv.Itoa(int(p.CapabilityID())) + "_" + job.model
		// 5. Capacity: 503 (ai_http.go:1580-1587).
		release, ok := o.acquireCapacity(name)
		if !ok {
			aiError(w, "insufficient capacity", http.StatusServiceUnavailable)
			return
		}
		defer release()
		// 6. Tickets: 400 with the reason (ai_http.go:1592-1596).
		if err := o.creditTickets(payment, manifestID); err != nil {
			aiError(w, err.Error(), http.StatusBadRequest)
			return
		}
		// 7. Balance of at least one ticket's EV when priced (ai_http.go:1598-1603).
		if payment.GetExpectedPrice().GetPricePerUnit() > 0 && !o.sufficientBalance(sender, manifestID) {
			aiError(w, "Insufficient balance", http.StatusBadRequest)
			return
		}
		// 8. The runner: 500 with its error (ai_http.go:1617-1627).
		if msg, fail := s.takeFault(name); fail {
			aiError(w, msg, http.StatusInternalServerError)
			return
		}
		requestID := randomID() + randomID()
		out, err := s.run(r.Context(), p, job, requestID, r.Header.Get("Authorization") == aiWorkerAuthorization)
		if err != nil {
			if r.Context().Err() != nil {
				return
			}
			aiError(w, err.Error(), http.StatusInternalServerError)
			return
		}
		// 9. Debit units × the payment's expected price (ai_http.go:1661).
		s.debit(sender, name, manifestID, payment.GetExpectedPrice(), job.units)
		if stream, ok := out.(llmStream); ok {
			s.writeLLMStream(w, r, stream)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(out)
	})
}

// debit is go-livepeer's DebitFees (core/orchestrator.go:480-488) plus the ledger entry.
func (s *AIServer) debit(sender eth.Address, name, manifestID string, price *lpnet.PriceInfo, units int64) {
	o := s.o
	fee := new(big.Rat)
	if !o.offchain && price.GetPixelsPerUnit() != 0 {
		fee.SetFrac64(price.GetPricePerUnit(), price.GetPixelsPerUnit())
		fee.Mul(fee, new(big.Rat).SetInt64(units))
		o.mu.Lock()
		k := balanceKey{sender, manifestID}
		if o.balances[k] == nil {
			o.balances[k] = new(big.Rat)
		}
		o.balances[k].Sub(o.balances[k], fee)
		o.mu.Unlock()
	}
	s.mu.Lock()
	s.charges = append(s.charges, AICharge{Sender: sender, Capability: name, ManifestID: manifestID, Units: units, Fee: fee})
	s.mu.Unlock()
}

// store keeps a generated file and returns its URL on the orchestrator, as
// go-livepeer's memory object store does (<service URI>/stream/<request id>/<file>;
// served by the HLS segment handler, server/mediaserver.go:674-705).
func (s *AIServer) store(requestID, file, ctype string, data []byte) string {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, f := range s.files {
		if now.After(f.expires) {
			delete(s.files, k)
		}
	}
	s.files[requestID+"/"+file] = storedFile{data: data, ctype: ctype, expires: now.Add(s.cfg.ResultTTL)}
	return s.o.URL() + "/stream/" + requestID + "/" + file
}

func (s *AIServer) serveFile(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("request") + "/" + r.PathValue("file")
	s.mu.Lock()
	f, ok := s.files[key]
	s.mu.Unlock()
	if !ok || time.Now().After(f.expires) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

// media returns what goes into a result's url: a URL on the orchestrator,
// or (for text-to-image, image-to-image and upscale without the AI-worker
// Authorization header) a data: URL (server/ai_http.go:1629-1653).
func (s *AIServer) media(p aipipeline.Pipeline, requestID, file, ctype string, data []byte, asURL bool) string {
	if !asURL && (p == aipipeline.TextToImage || p == aipipeline.ImageToImage || p == aipipeline.Upscale) {
		return "data:" + ctype + ";base64," + base64.StdEncoding.EncodeToString(data)
	}
	return s.store(requestID, file, ctype, data)
}

// aiJob is a decoded request with its model and units.
type aiJob struct {
	req       aipipeline.Request
	model     string
	units     int64
	imgW      int // input image size, when there is one
	imgH      int
	audioSecs float64
}

// unitsFor computes the units handleAIRequest charges (server/ai_http.go:1402-1574);
// a non-empty message is the 400 answer. go-livepeer dereferences model_id
// (and text for text-to-speech) without a nil check; here their absence is a 400.
func (s *AIServer) unitsFor(ctx context.Context, p aipipeline.Pipeline, req aipipeline.Request) (*aiJob, string) {
	j := &aiJob{req: req}
	img := func(f aipipeline.File) string {
		cfg, err := decodeImageConfig(f.Data)
		if err != nil {
			return err.Error()
		}
		j.imgW, j.imgH = cfg.Width, cfg.Height
		return ""
	}
	var msg string
	switch v := req.(type) {
	case aipipeline.TextToImageParams:
		j.model = v.ModelId
		h, w, n := 512, 512, 1
		if v.Height != nil {
			h = *v.Height
		}
		if v.Width != nil {
			w = *v.Width
		}
		if v.NumImagesPerPrompt != nil {
			n = *v.NumImagesPerPrompt
		}
		j.units = int64(h) * int64(w) * int64(n)
	case aipipeline.BodyGenImageToImage:
		j.model = v.ModelId
		if msg = img(v.Image); msg == "" {
			n := 1
			if v.NumImagesPerPrompt != nil {
				n = *v.NumImagesPerPrompt
			}
			j.units = int64(j.imgH) * int64(j.imgW) * int64(n)
		}
	case aipipeline.BodyGenUpscale:
		j.model = v.ModelId
		if msg = img(v.Image); msg == "" {
			j.units = int64(j.imgH) * int64(j.imgW)
		}
	case aipipeline.BodyGenImageToVideo:
		j.model = v.ModelId
		h, w := 576, 1024
		if v.Height != nil {
			h = *v.Height
		}
		if v.Width != nil {
			w = *v.Width
		}
		j.units = int64(h) * int64(w) * 25
	case aipipeline.BodyGenAudioToText:
		j.model = v.ModelId
		secs, err := probeSeconds(ctx, s.cfg.FFprobe, v.Audio.Data)
		if err != nil || int64(secs) <= 0 {
			msg = "Unable to calculate duration"
		} else {
			j.audioSecs = secs
			j.units = int64(secs) * 1000
		}
	case aipipeline.LLMRequest:
		j.model = deref(v.Model)
		if v.MaxTokens == nil {
			msg = "MaxTokens not specified"
		} else {
			j.units = int64(*v.MaxTokens)
		}
	case aipipeline.BodyGenSegmentAnything2:
		j.model = v.ModelId
		if msg = img(v.Image); msg == "" {
			j.units = int64(j.imgH) * int64(j.imgW)
		}
	case aipipeline.BodyGenImageToText:
		j.model = v.ModelId
		if msg = img(v.Image); msg == "" {
			j.units = int64(j.imgH) * int64(j.imgW)
		}
	case aipipeline.TextToSpeechParams:
		j.model = v.ModelId
		if v.Text == nil {
			msg = "text is required"
		} else {
			j.units = int64(1000 * utf8.RuneCountInString(*v.Text))
		}
	default:
		msg = "Unknown request type"
	}
	if msg == "" && j.model == "" {
		msg = "model_id is required"
	}
	return j, msg
}

// runnerRefused is a runner's 400 as go-livepeer words it (ai/worker/worker.go:108-114).
func runnerRefused(p aipipeline.Pipeline, format string, args ...any) error {
	return fmt.Errorf("%s container returned 400: %s", p, fmt.Sprintf(format, args...))
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// Price returns what this orchestrator charges for capability
// ("text-to-image/<model>", ...) in wei per unit, as it advertises it in
// GetOrchestrator's capabilities_prices; false when it does not offer it.
func (s *AIServer) Price(capability string) (*big.Rat, bool) { return s.o.capabilityPrice(capability) }

// HoldCapacity takes one of the orchestrator's slots for capability, as a
// running request would, so tests can fill it up (the next request then gets
// go-livepeer's 503 "insufficient capacity"). It returns the release func, or
// false when no slot is free.
func (s *AIServer) HoldCapacity(capability string) (release func(), ok bool) {
	return s.o.acquireCapacity(capability)
}
