package livepeer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Token is a decoded gateway token: the connection settings a Livepeer
// service hands to its users in one opaque string (the same format as the
// Python SDK's). A nil slice or map, or an empty string, means the field is
// absent; a present but empty orchestrators list (non-nil, length 0) is
// kept distinct because it shadows Config.Orchestrators (see Config).
type Token struct {
	Orchestrators    []string          // "orchestrators": orchestrator addresses
	Signer           string            // "signer": remote signer base URL
	SignerHeaders    map[string]string // "signer_headers": sent with every signer call
	Discovery        string            // "discovery": discovery endpoint URL
	DiscoveryHeaders map[string]string // "discovery_headers": sent to the discovery endpoint
}

// ParseToken decodes a gateway token: standard base64 (with padding;
// URL-safe base64 is rejected; surrounding white space is ignored) of a
// UTF-8 JSON object with the optional fields "orchestrators" (array of
// non-empty strings, each trimmed), "signer" and "discovery" (non-empty
// strings), "signer_headers" and "discovery_headers" ({string: string}
// objects with valid header names and values). A field set to null counts
// as absent; unknown fields are ignored.
//
// Any other input gives a *TokenError naming the field at fault
// (errors.Is(err, ErrInvalidToken)). The token's contents never appear in
// the error.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Token{}, &TokenError{Reason: "empty token"}
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return Token{}, &TokenError{Reason: "expected base64-encoded JSON (white space inside the token)"}
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return Token{}, &TokenError{Reason: "expected base64-encoded JSON (standard alphabet, with padding)", Err: err}
	}
	if !utf8.Valid(raw) {
		return Token{}, &TokenError{Reason: "expected UTF-8 JSON payload"}
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Token{}, &TokenError{Reason: "payload must be a JSON object"}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return Token{}, &TokenError{Reason: "payload is not valid JSON", Err: err}
	}
	var t Token
	present := func(k string) (json.RawMessage, bool) {
		v, ok := fields[k]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			return nil, false
		}
		return v, true
	}
	if v, ok := present("orchestrators"); ok {
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil {
			return Token{}, &TokenError{Field: "orchestrators", Reason: "must be an array of strings"}
		}
		t.Orchestrators = make([]string, 0, len(items))
		for i, it := range items {
			var a string
			if json.Unmarshal(it, &a) != nil || strings.TrimSpace(a) == "" {
				return Token{}, &TokenError{Field: "orchestrators", Reason: fmt.Sprintf("must contain only non-empty strings (element %d)", i)}
			}
			t.Orchestrators = append(t.Orchestrators, strings.TrimSpace(a))
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"signer", &t.Signer}, {"discovery", &t.Discovery}} {
		if v, ok := present(f.key); ok {
			if json.Unmarshal(v, f.dst) != nil {
				return Token{}, &TokenError{Field: f.key, Reason: "must be a string"}
			}
			*f.dst = strings.TrimSpace(*f.dst)
			if *f.dst == "" {
				return Token{}, &TokenError{Field: f.key, Reason: "must not be empty"}
			}
		}
	}
	for _, f := range []struct {
		key string
		dst *map[string]string
	}{{"signer_headers", &t.SignerHeaders}, {"discovery_headers", &t.DiscoveryHeaders}} {
		if v, ok := present(f.key); ok {
			var m map[string]string
			if json.Unmarshal(v, &m) != nil || m == nil {
				return Token{}, &TokenError{Field: f.key, Reason: "must be a {string: string} object"}
			}
			if err := checkHeaders(m); err != nil {
				return Token{}, &TokenError{Field: f.key, Reason: err.Error()}
			}
			*f.dst = m
		}
	}
	return t, nil
}

// Encode returns the token string for t: standard base64 of its JSON
// object, absent fields left out (an empty but non-nil Orchestrators is
// written as []). ParseToken(t.Encode()) gives t back for any valid t.
func (t Token) Encode() string {
	type wire struct {
		Orchestrators    *[]string          `json:"orchestrators,omitempty"`
		Signer           string             `json:"signer,omitempty"`
		SignerHeaders    *map[string]string `json:"signer_headers,omitempty"`
		Discovery        string             `json:"discovery,omitempty"`
		DiscoveryHeaders *map[string]string `json:"discovery_headers,omitempty"`
	}
	w := wire{Signer: t.Signer, Discovery: t.Discovery}
	if t.Orchestrators != nil {
		w.Orchestrators = &t.Orchestrators
	}
	if t.SignerHeaders != nil {
		w.SignerHeaders = &t.SignerHeaders
	}
	if t.DiscoveryHeaders != nil {
		w.DiscoveryHeaders = &t.DiscoveryHeaders
	}
	b, _ := json.Marshal(w) // strings, slices and maps of strings always marshal
	return base64.StdEncoding.EncodeToString(b)
}
