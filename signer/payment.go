package signer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// Payment types accepted by go-livepeer's signer in PaymentRequest.Type.
const (
	TypeLV2V  = "lv2v"  // 720p30 pixel-seconds since the last payment (60 s preloaded)
	TypeLive  = "live"  // seconds since the last payment (10 s preloaded)
	TypeFixed = "fixed" // one unit per payment
	TypeUnits = ""      // InPixels units at the orchestrator's price (BYOC: seconds)
)

// MaxPrice is an optional price ceiling for one payment request. Price is a
// positive decimal in wei per unit; Unit must be "720p-pixel-seconds" for
// lv2v, "seconds" for live and "fixed" for fixed (the signer answers 400
// otherwise).
type MaxPrice struct {
	Price    string `json:"price"`
	Currency string `json:"currency,omitempty"` // "wei"
	Unit     string `json:"unit,omitempty"`
}

// MarshalJSON writes price as a JSON number, as go-livepeer decodes it.
func (m MaxPrice) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Price    json.Number `json:"price"`
		Currency string      `json:"currency,omitempty"`
		Unit     string      `json:"unit,omitempty"`
	}{json.Number(m.Price), m.Currency, m.Unit})
}

// PaymentRequest asks for one batch of tickets for one orchestrator.
type PaymentRequest struct {
	// Orchestrator is the info the orchestrator last returned (GetOrchestrator
	// or a /payment answer), sent as its protobuf encoding
	// (Info.Protobuf). Required: a price, ticket params, an address and an
	// auth token must be set for a signer to pay.
	Orchestrator *discovery.Info
	// State is the previous answer's State, verbatim; nil on the first call.
	State json.RawMessage
	// ManifestID ties the payment to the orchestrator's accounting; required
	// once State is set (LV2V: the manifest_id of the start answer).
	ManifestID string
	Type       string // TypeLV2V, TypeLive, TypeFixed or TypeUnits
	InPixels   int64  // billable units for TypeUnits
	App        string // optional label, must stay the same for a session
	MaxPrice   *MaxPrice
	// Capability goes into the seg creds (the orchestrator's compatibility
	// check) and the signer's per-capability price ceiling, encoded as
	// go-livepeer's gateway encodes a request's capabilities. Optional.
	Capability *discovery.Capability
}

// PaymentResponse is one batch of tickets and the state for the next call.
type PaymentResponse struct {
	Payment  string          // base64 net.Payment, the Livepeer-Payment header ("" off-chain)
	SegCreds string          // base64 net.SegData, the Livepeer-Segment header
	State    json.RawMessage // opaque; send back verbatim with the next request (nil off-chain)
	Signer   string          // base URL of the signer that answered; "" off-chain
}

// GenerateLivePayment asks the signer for tickets
// (POST /generate-live-payment). Failures are *Error classified as
// ErrRefreshSession (480; Error.OrchestratorURL names the orchestrator),
// ErrPriceExceeded (481), ErrNoTicketsNeeded (482), ErrInsufficientBalance
// (483, 402, or a 400 about deposit/reserve), ErrUnauthorized (401/403),
// ErrPaymentFailed (other 4xx), ErrSignerUnavailable (every signer down or
// 5xx), or a *DecodeError for a malformed answer. A bad request (nil
// orchestrator, State that is not a JSON object) fails before any I/O with
// ErrPaymentFailed. Off-chain, see OffchainPayment. Safe for concurrent use.
func (c *Client) GenerateLivePayment(ctx context.Context, req *PaymentRequest) (*PaymentResponse, error) {
	if req == nil || req.Orchestrator == nil {
		return nil, &Error{Op: pathLivePayment, Kind: lperr.ErrPaymentFailed, Err: errors.New("no orchestrator info in the payment request")}
	}
	if c.Offchain() {
		return OffchainPayment(req)
	}
	body, err := encodePaymentRequest(req)
	if err != nil {
		return nil, &Error{Op: pathLivePayment, Kind: lperr.ErrPaymentFailed, Err: err}
	}
	a, err := c.call(ctx, pathLivePayment, http.MethodPost, nil, body)
	if err != nil {
		return nil, err
	}
	if a.status/100 != 2 {
		return nil, classify(pathLivePayment, a, true)
	}
	resp, err := DecodePaymentResponse(a.body)
	if err != nil {
		return nil, &Error{Op: pathLivePayment, Signer: a.signer, Tried: 1, Err: err, Hint: hintBadAnswer}
	}
	resp.Signer = a.signer
	return resp, nil
}

// paymentWire is the request body without state (spliced in verbatim).
type paymentWire struct {
	Orchestrator string    `json:"orchestrator"`
	ManifestID   string    `json:"ManifestID,omitempty"`
	Type         string    `json:"type,omitempty"`
	InPixels     int64     `json:"inPixels,omitempty"`
	App          string    `json:"app,omitempty"`
	MaxPrice     *MaxPrice `json:"maxPrice,omitempty"`
	Capabilities string    `json:"capabilities,omitempty"`
}

func encodePaymentRequest(req *PaymentRequest) ([]byte, error) {
	w := paymentWire{
		Orchestrator: base64.StdEncoding.EncodeToString(req.Orchestrator.Protobuf()),
		ManifestID:   req.ManifestID,
		Type:         req.Type,
		InPixels:     req.InPixels,
		App:          req.App,
		MaxPrice:     req.MaxPrice,
	}
	if c := req.Capability; c != nil {
		caps, err := proto.Marshal(lpnet.CapabilitiesFor(int32(c.ID), c.Model))
		if err != nil {
			return nil, fmt.Errorf("encode capabilities: %w", err)
		}
		w.Capabilities = base64.StdEncoding.EncodeToString(caps)
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode payment request: %w", err)
	}
	if len(req.State) == 0 {
		return body, nil
	}
	state := bytes.TrimSpace(req.State)
	if !isJSONObject(state) {
		return nil, errors.New("payment state is not a JSON object; pass the previous answer's State unchanged")
	}
	// encoding/json would re-compact a RawMessage; splice it in byte for byte.
	out := make([]byte, 0, len(body)+len(state)+10)
	out = append(out, `{"state":`...)
	out = append(out, state...)
	out = append(out, ',')
	out = append(out, body[1:]...)
	return out, nil
}

func isJSONObject(b []byte) bool {
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// DecodePaymentResponse parses a /generate-live-payment answer:
// {"payment":"<base64>","segCreds":"<base64>","state":{...}}. payment (a
// non-empty base64 string) and state (an object, kept verbatim) are required;
// segCreds is optional. Errors are *DecodeError.
func DecodePaymentResponse(body []byte) (*PaymentResponse, error) {
	var raw struct {
		Payment  *string         `json:"payment"`
		SegCreds *string         `json:"segCreds"`
		State    json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, &DecodeError{Op: pathLivePayment, Reason: "not a JSON object with the expected field types", Body: truncBody(body), Err: err}
	}
	if raw.Payment == nil || *raw.Payment == "" {
		return nil, &DecodeError{Op: pathLivePayment, Field: "payment", Reason: "missing or empty", Body: truncBody(body)}
	}
	if _, err := base64.StdEncoding.DecodeString(*raw.Payment); err != nil {
		return nil, &DecodeError{Op: pathLivePayment, Field: "payment", Reason: "not standard base64", Body: truncBody(body), Err: err}
	}
	resp := &PaymentResponse{Payment: *raw.Payment}
	if raw.SegCreds != nil {
		if _, err := base64.StdEncoding.DecodeString(*raw.SegCreds); err != nil {
			return nil, &DecodeError{Op: pathLivePayment, Field: "segCreds", Reason: "not standard base64", Body: truncBody(body), Err: err}
		}
		resp.SegCreds = *raw.SegCreds
	}
	if !isJSONObject(raw.State) {
		return nil, &DecodeError{Op: pathLivePayment, Field: "state", Reason: "missing or not a JSON object", Body: truncBody(body)}
	}
	resp.State = append(json.RawMessage(nil), raw.State...)
	return resp, nil
}

// OffchainPayment is what an off-chain Client answers: no tickets
// (Payment ""), and for TypeLV2V/TypeLive/TypeFixed, and TypeUnits with a
// non-BYOC Capability (a built-in batch AI pipeline), seg creds that carry
// only the orchestrator's auth token, as off-chain orchestrators require
// (go-livepeer master 176aa415ccea server/ai_http.go:1388 checks them on
// every batch AI request). TypeUnits without a Capability or for BYOC gets
// no seg creds (BYOC orchestrators take none). A missing auth token where
// seg creds are due returns an *Error with Kind ErrPaymentFailed.
func OffchainPayment(req *PaymentRequest) (*PaymentResponse, error) {
	if req == nil || req.Orchestrator == nil {
		return nil, &Error{Op: pathLivePayment, Kind: lperr.ErrPaymentFailed, Err: errors.New("no orchestrator info in the payment request")}
	}
	if req.Type == TypeUnits && (req.Capability == nil || req.Capability.IsBYOC()) {
		return &PaymentResponse{}, nil
	}
	var info lpnet.OrchestratorInfo
	if err := proto.Unmarshal(req.Orchestrator.Protobuf(), &info); err != nil {
		return nil, &Error{Op: pathLivePayment, Kind: lperr.ErrPaymentFailed, Err: fmt.Errorf("orchestrator info: %w", err)}
	}
	tok := info.GetAuthToken()
	if tok == nil {
		return nil, &Error{Op: pathLivePayment, Kind: lperr.ErrPaymentFailed,
			Err: errors.New("orchestrator did not provide an auth token"), Hint: hintRefresh}
	}
	seg, err := proto.Marshal(&lpnet.SegData{AuthToken: tok})
	if err != nil {
		return nil, &Error{Op: pathLivePayment, Kind: lperr.ErrPaymentFailed, Err: err}
	}
	return &PaymentResponse{SegCreds: base64.StdEncoding.EncodeToString(seg)}, nil
}
