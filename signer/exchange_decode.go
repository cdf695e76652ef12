package signer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// ExchangeError is a failed API-key exchange. Kind classifies it:
// livepeer.ErrSignerUnavailable when the billing service could not be
// reached or answered 429/5xx (retries exhausted), livepeer.ErrUnauthorized
// for anything else (the key or client id was refused, the URL is wrong,
// or the answer carried no usable token). errors.Is sees Kind and Err.
// The API key never appears in it.
type ExchangeError struct {
	URL        string // the exchange endpoint (credentials redacted)
	StatusCode int    // HTTP status; 0 when no answer arrived
	Code       string // the answer's "error" code, e.g. "invalid_client"
	Message    string // the answer's "error_description" or message
	Field      string // for an unusable 2xx answer: the field at fault
	Kind       error
	Err        error // transport or decoding cause, optional
}

func (e *ExchangeError) Error() string {
	var b strings.Builder
	b.WriteString("signer: API-key exchange at ")
	b.WriteString(e.URL)
	b.WriteString(" failed")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Code != "" && e.Code != e.Message {
		b.WriteString(" [")
		b.WriteString(e.Code)
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Kind == lperr.ErrSignerUnavailable {
		b.WriteString("; check BillingURL and that the billing service is up")
	} else {
		b.WriteString("; check the API key (and client id) and BillingURL")
	}
	return b.String()
}

// Unwrap exposes the cause and the classification.
func (e *ExchangeError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	return errs
}

// decodeExchange reads an exchange answer. The accepted shape is the
// pymthouse builder SDK's (normalizeDeviceExchangeResponse, shared by the
// API-key exchange): the access token at "token.accessToken",
// "token.access_token", "accessToken" or "access_token" (the Python SDK's
// _signer_access_token order); the lifetime in seconds at "expires_in",
// "expiresIn", "token.expires_in" or "token.expiresIn" (absent: unknown);
// "token_type", when present, must be Bearer; the signer base URL at
// "signerUrl" or "signer_url" (optional). Errors are OAuth-style
// {"error", "error_description"}.
func decodeExchange(name string, resp *http.Response, start time.Time) (Token, error) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return Token{}, &ExchangeError{URL: name, StatusCode: resp.StatusCode, Kind: lperr.ErrSignerUnavailable, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &ExchangeError{URL: name, StatusCode: resp.StatusCode, Kind: lperr.ErrUnauthorized}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			e.Kind = lperr.ErrSignerUnavailable
		}
		var oauth struct {
			Error       json.RawMessage `json:"error"`
			Description string          `json:"error_description"`
		}
		var code string
		if json.Unmarshal(data, &oauth) == nil && json.Unmarshal(oauth.Error, &code) == nil && code != "" {
			e.Code, e.Message = code, oauth.Description
		} else {
			e.Message, e.Code = lperr.MessageFromBody(truncBody(data))
		}
		return Token{}, e
	}
	bad := func(field, reason string) (Token, error) {
		return Token{}, &ExchangeError{URL: name, StatusCode: resp.StatusCode, Field: field, Message: reason, Kind: lperr.ErrUnauthorized}
	}
	if len(data) > maxResponseBody {
		return bad("", "answer larger than 1 MiB")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(data), &top); err != nil || top == nil {
		return bad("", "the answer is not a JSON object")
	}
	var nested map[string]json.RawMessage
	if raw, ok := top["token"]; ok {
		_ = json.Unmarshal(raw, &nested) // not an object: ignored, like the Python SDK
	}
	var t Token
	for _, f := range []struct {
		m   map[string]json.RawMessage
		key string
	}{{nested, "accessToken"}, {nested, "access_token"}, {top, "accessToken"}, {top, "access_token"}} {
		if s := jsonString(f.m, f.key); s != "" {
			t.AccessToken = s
			break
		}
	}
	if t.AccessToken == "" {
		return bad("access_token", "missing signer access token")
	}
	if tt := jsonString(top, "token_type"); tt != "" && !strings.EqualFold(tt, "bearer") {
		return bad("token_type", "token type "+tt+" is not Bearer")
	}
	for _, f := range []struct {
		m   map[string]json.RawMessage
		key string
	}{{top, "expires_in"}, {top, "expiresIn"}, {nested, "expires_in"}, {nested, "expiresIn"}} {
		raw, ok := f.m[f.key]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		var secs float64
		if json.Unmarshal(raw, &secs) != nil || secs <= 0 || math.IsInf(secs, 0) || secs > 1e9 {
			return bad(f.key, "must be a positive number of seconds")
		}
		t.Expiry = start.Add(time.Duration(secs * float64(time.Second)))
		break
	}
	for _, key := range []string{"signerUrl", "signer_url"} {
		if s := jsonString(top, key); s != "" {
			t.SignerURL = s
			break
		}
	}
	return t, nil
}

// jsonString returns m[key] when it is a non-blank JSON string, trimmed.
func jsonString(m map[string]json.RawMessage, key string) string {
	raw, ok := m[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}
