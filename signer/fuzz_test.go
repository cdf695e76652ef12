package signer

import (
	"bytes"
	"encoding/json"
	"testing"
)

func FuzzDecodeRequestSignature(f *testing.F) {
	for _, s := range []string{`{"address":"` + testAddr + `","signature":"0x0102"}`, `{}`, `[]`, `{"address":"0x","signature":""}`, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := DecodeRequestSignature(b)
		if err == nil && (sig == nil || len(sig.Signature) == 0) {
			t.Fatalf("success without a signature: %q", b)
		}
	})
}

func FuzzDecodePaymentResponse(f *testing.F) {
	for _, s := range []string{goodPaymentBody, `{"payment":"cGF5","state":{}}`, `{"state":[]}`, `{"payment":"","state":null}`, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodePaymentResponse(b)
		if err != nil {
			return
		}
		if r.Payment == "" || len(r.State) == 0 || r.State[0] != '{' || !json.Valid(r.State) {
			t.Fatalf("accepted a bad response: %q", b)
		}
		if !bytes.Contains(b, r.State) {
			t.Fatalf("state not kept verbatim: %q", b)
		}
	})
}

func FuzzDecodeOrchestrators(f *testing.F) {
	for _, s := range []string{`[{"address":"a","score":1,"capabilities":["x"],"runners":[]}]`, `[]`, `{}`, `[1,"a",null]`, `[{"address":""}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := DecodeOrchestrators(b)
		if err != nil {
			return
		}
		for _, o := range list {
			if o.Address == "" {
				t.Fatalf("empty address kept: %q", b)
			}
		}
	})
}
