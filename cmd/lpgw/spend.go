package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"

	"github.com/livepeer/livepeer-go-gateway/payment"
)

// maxMeteredBody bounds the signer answers the meter reads to count a
// payment (a payment of 100 tickets is a few tens of KiB).
const maxMeteredBody = 4 << 20

// spendMeter is the Gateway's signer transport: it passes every request on
// and adds up the expected value of the tickets in each payment the remote
// signer hands out (the "payment" of a 200 answer to
// /generate-live-payment, go-livepeer server/remote_signer.go), decoded
// with payment.ParseTickets. That is what this process committed to pay,
// whichever verb paid, on any network. Safe for concurrent use.
type spendMeter struct {
	next *http.Transport

	mu       sync.Mutex
	spent    *big.Rat
	payments int
}

func newSpendMeter(next *http.Transport) *spendMeter {
	return &spendMeter{next: next, spent: new(big.Rat)}
}

// RoundTrip implements http.RoundTripper.
func (m *spendMeter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := m.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasSuffix(req.URL.Path, "/generate-live-payment") {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxMeteredBody+1))
	if rerr != nil || len(body) > maxMeteredBody {
		// Hand back what was read and the rest, unmetered.
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var ans struct {
		Payment string `json:"payment"`
	}
	if json.Unmarshal(body, &ans) == nil && ans.Payment != "" {
		if tk, err := payment.ParseTickets(ans.Payment); err == nil && tk.EV != nil {
			m.mu.Lock()
			m.spent.Add(m.spent, tk.EV)
			m.payments++
			m.mu.Unlock()
		}
	}
	return resp, nil
}

// Spent returns the expected value committed so far, in wei, and the
// number of payments.
func (m *spendMeter) Spent() (*big.Rat, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return new(big.Rat).Set(m.spent), m.payments
}

// CloseIdleConnections closes the transport's idle connections.
func (m *spendMeter) CloseIdleConnections() { m.next.CloseIdleConnections() }

type readCloser struct {
	io.Reader
	io.Closer
}
