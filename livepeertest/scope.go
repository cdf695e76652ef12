package livepeertest

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// scopeModel is the live-video-to-video model id of Scope.
const scopeModel = "scope"

// maxScopeBody bounds a Scope start body (go-livepeer maxScopeRequestBodySize).
const maxScopeBody = 1 << 20

// scopeResponse is the answer of POST /scope (go-livepeer
// LiveVideoToVideoResponse: publish_url and subscribe_url have no omitempty).
type scopeResponse struct {
	ControlURL   string `json:"control_url,omitempty"`
	EventsURL    string `json:"events_url,omitempty"`
	ManifestID   string `json:"manifest_id,omitempty"`
	PublishURL   string `json:"publish_url"`
	SubscribeURL string `json:"subscribe_url"`
}

// handleScope serves POST /scope as go-livepeer master's StartScope does
// (server/ai_http.go), in its order: body (400, at most 1 MiB); on-chain
// the payment (a JSON 402 challenge when Livepeer-Payment is missing or
// undecodable, priced for live-video-to-video/scope, payment_url
// {orchestrator}/payment; then 403 bad credentials, 400 refused tickets or
// insufficient balance), the manifest id being the payment's; off-chain a
// fresh manifest id; then capacity of live-video-to-video/scope (503).
//
// Like master it pre-creates only the -control and -events channels and
// answers empty publish_url and subscribe_url: Scope's media go through
// the app (scope-runner negotiates its own channels; through a live runner
// the app creates them, see worker.Scope). In place of scope-runner the
// stream emits a "status" event and answers each control message with a
// "params_update" event (LiveConfig.Pipelines does not apply to /scope:
// there are no media to process); it ends when the client deletes the
// control channel, when a charge fails (as LV2V) or when the orchestrator
// closes. Each stream is charged like LV2V (master charges on each events
// segment instead).
func (ls *LiveServer) handleScope(w http.ResponseWriter, r *http.Request) {
	var req lv2vRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxScopeBody)).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var (
		mid   string
		payer eth.Address
	)
	if ls.o.offchain {
		mid = newManifestID()
	} else {
		var done bool
		if payer, mid, done = ls.scopePayment(w, r); done {
			return
		}
	}
	if _, used := ls.Stream(mid); used {
		// go-livepeer would start a second worker on the same channels; refuse instead.
		http.Error(w, "manifest id already in use", http.StatusConflict)
		return
	}
	c := ls.capability(capLiveVideoToVideo, scopeModel)
	if c == nil || !ls.reserve(scopeModel, c.capacity) {
		http.Error(w, "insufficient capacity", http.StatusServiceUnavailable)
		return
	}
	base := ls.o.URL() + tricklePath + mid
	chans := streamChannels{Control: base + "-control", Events: base + "-events"}
	params := req.Params
	if params == nil {
		params = map[string]any{}
	}
	s := &liveStream{
		kind: "lv2v", id: mid, model: scopeModel, payer: payer, price: ls.chargedPrice(c),
		units:  big.NewRat(liveBilledPixelsPerSecond, 1),
		names:  []string{"", "", mid + "-control", mid + "-events"},
		params: params,
	}
	if err := ls.startScopeStream(s, chans); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	respondJSONOK(w, scopeResponse{ControlURL: chans.Control, EventsURL: chans.Events, ManifestID: mid})
}

// scopePayment is go-livepeer's processScopePayment. It returns the payer
// and the manifest id, or done=true once it has answered (challenge or error).
func (ls *LiveServer) scopePayment(w http.ResponseWriter, r *http.Request) (eth.Address, string, bool) {
	o := ls.o
	payment, err := decodePayment(r.Header.Get(lphttp.HeaderPayment))
	if err != nil || r.Header.Get(lphttp.HeaderPayment) == "" {
		addr := r.Header.Get(PayerAddressHeader)
		if !isHexAddress(addr) {
			writeJSONError(w, http.StatusPaymentRequired, "invalid live runner payment signer address")
			return eth.Address{}, "", true
		}
		info := o.orchestratorInfo(hexAddress(addr), scopeCapabilities())
		writeChallenge(w, info, o.URL()+"/payment")
		return eth.Address{}, "", true
	}
	sender := paymentSender(payment)
	seg, err := o.verifySegCreds(r.Header.Get(lphttp.HeaderSegment), sender)
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return sender, "", true
	}
	mid := string(seg.GetManifestId())
	if err := o.creditTickets(payment, mid); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return sender, "", true
	}
	if payment.GetExpectedPrice().GetPricePerUnit() > 0 && !o.sufficientBalance(sender, mid) {
		http.Error(w, errors.New("Insufficient balance").Error(), http.StatusBadRequest)
		return sender, "", true
	}
	return sender, mid, false
}

// scopeCapabilities is go-livepeer's newAICapabilities(LiveVideoToVideo,
// "scope", warm): the capability with capacity 1 and a warm "scope" model.
func scopeCapabilities() *lpnet.Capabilities {
	caps := &lpnet.Capabilities{
		Capacities: map[uint32]uint32{capLiveVideoToVideo: 1},
		Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{
			capLiveVideoToVideo: {Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{scopeModel: {Warm: true}}},
		}},
	}
	caps.Bitstring = setBit(caps.Bitstring, capLiveVideoToVideo)
	return caps
}

// startScopeStream starts a Scope stream on its control and events
// channels with the control-only pipeline that stands in for scope-runner
// (a "status" event, then a "params_update" event per control message
// until the control channel ends); LiveConfig.Pipelines does not apply: a
// video pipeline has no media to work on here.
func (ls *LiveServer) startScopeStream(s *liveStream, chans streamChannels) error {
	s.pipeline = PipelineFunc(func(ctx context.Context, ps *PipelineStream) error {
		_ = ps.Emit(ctx, pipeStatusEvent(ps, "running", nil))
		pipeAckControl(ctx, ps, nil)
		return ctx.Err()
	})
	return ls.startStream(s, chans, []string{"", "", "application/json", "application/json"})
}
