package signerproxy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// Errors of the state binding.
var (
	// errBadState: the state is not one this proxy issued (or was altered).
	errBadState = errors.New("invalid state: not issued by this signer, or altered")
	// errForeignState: the state was issued to another account.
	errForeignState = errors.New("payment state belongs to another account; start a new session with your own key")
)

// stateMACLabel separates this MAC from any other use of the secret.
const stateMACLabel = "livepeer-playground/signer-state/v1\x00"

// wireState is go-livepeer's signed state as it travels in JSON: {State, Sig},
// both []byte (base64 strings in JSON).
type wireState struct {
	State []byte
	Sig   []byte
}

// envelope is what the proxy signs: the account the state belongs to and the
// upstream signer's own state, verbatim.
type envelope struct {
	V     int             `json:"v"`
	User  int64           `json:"uid"`
	Inner json.RawMessage `json:"inner"`
}

func (p *Proxy) mac(b []byte) []byte {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(stateMACLabel))
	m.Write(b)
	return m.Sum(nil)
}

// wrapState binds the upstream state to userID: the client gets
// {State: envelope JSON, Sig: HMAC(secret, envelope)}, as opaque as before.
func (p *Proxy) wrapState(userID int64, inner json.RawMessage) (json.RawMessage, error) {
	env, err := json.Marshal(envelope{V: 1, User: userID, Inner: inner})
	if err != nil {
		return nil, err
	}
	return json.Marshal(wireState{State: env, Sig: p.mac(env)})
}

// unwrapState checks a client-sent state and returns the upstream's state
// and the decoded RemotePaymentState JSON inside it (for the cost bound).
// A missing or null state returns nils (first payment).
func (p *Proxy) unwrapState(userID int64, raw json.RawMessage) (inner json.RawMessage, decoded []byte, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	var ws wireState
	if err := json.Unmarshal(raw, &ws); err != nil {
		return nil, nil, errBadState
	}
	if len(ws.State) == 0 && len(ws.Sig) == 0 {
		return nil, nil, nil
	}
	if !hmac.Equal(ws.Sig, p.mac(ws.State)) {
		return nil, nil, errBadState
	}
	var env envelope
	if err := json.Unmarshal(ws.State, &env); err != nil || env.V != 1 {
		return nil, nil, errBadState
	}
	if env.User != userID {
		return nil, nil, errForeignState
	}
	var up wireState
	if err := json.Unmarshal(env.Inner, &up); err != nil {
		return nil, nil, fmt.Errorf("%w: inner state", errBadState)
	}
	return env.Inner, up.State, nil
}
