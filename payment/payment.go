package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Header names of go-livepeer's payment protocol (server/segment_rpc.go).
const (
	HeaderPayment = lphttp.HeaderPayment // base64 net.Payment (tickets)
	HeaderSegment = lphttp.HeaderSegment // base64 net.SegData (seg creds)
)

// Payment is one batch of tickets with its seg creds.
type Payment struct {
	Payment  string // Livepeer-Payment value ("" when nothing is paid)
	SegCreds string // Livepeer-Segment value ("" for BYOC)
	Signer   string // signer that made it ("" off-chain or free)
}

// Header returns the non-empty payment headers.
func (p *Payment) Header() http.Header {
	h := http.Header{}
	p.SetHeaders(h)
	return h
}

// SetHeaders sets the non-empty payment headers on h.
func (p *Payment) SetHeaders(h http.Header) {
	if p == nil {
		return
	}
	if p.Payment != "" {
		h.Set(HeaderPayment, p.Payment)
	}
	if p.SegCreds != "" {
		h.Set(HeaderSegment, p.SegCreds)
	}
}

// Next makes the next LV2V-style payment: the signer gets the current
// info, state, manifest id and type. The first payment (no manifest id)
// goes with the job start; later ones need SetManifestID. A 480 from the
// signer refreshes the info and retries (at most MaxRefreshes times, then an
// error wrapping ErrRefreshSession); the info is also refreshed ahead of
// time when its auth token is about to expire. ErrNoTicketsNeeded (skip this
// cycle), ErrInsufficientBalance, ErrPriceExceeded and signer errors come
// back typed. An orchestrator without ticket parameters (off-chain) and an
// off-chain signer get seg creds only. A BYOC session returns an error.
func (s *Session) Next(ctx context.Context) (*Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byocCap != "" {
		return nil, fmt.Errorf("payment: Next on a BYOC session; use NextBYOC: %w", lperr.ErrPaymentFailed)
	}
	return s.nextLocked(ctx, 0)
}

// nextLocked runs the signer call with refreshes. inPixels is used by BYOC.
func (s *Session) nextLocked(ctx context.Context, inPixels int64) (*Payment, error) {
	if s.closed {
		return nil, fmt.Errorf("payment: session: %w", lperr.ErrClosed)
	}
	if len(s.state) > 0 && s.manifestID == "" {
		return nil, fmt.Errorf("payment: no manifest id for a continuing session; call SetManifestID with the manifest_id of the job start answer: %w", lperr.ErrPaymentFailed)
	}
	if s.refresh != nil && s.needsRefreshLocked() {
		if err := s.refreshLocked(ctx, "auth token about to expire"); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			s.log.Warn("proactive refresh failed; paying with the current info", slog.String("error", err.Error()))
		}
	}
	for refreshes := 0; ; refreshes++ {
		req, free, err := s.requestLocked(inPixels)
		if err != nil {
			return nil, err
		}
		if free {
			return &Payment{}, nil
		}
		var resp *signer.PaymentResponse
		if s.signer.Offchain() || !s.info.Onchain() {
			resp, err = signer.OffchainPayment(req)
		} else {
			resp, err = s.signer.GenerateLivePayment(ctx, req)
		}
		if err == nil {
			if len(resp.State) > 0 {
				s.state = resp.State
			}
			s.lastPayment = s.now()
			p := &Payment{Payment: resp.Payment, SegCreds: resp.SegCreds, Signer: resp.Signer}
			if s.byocCap != "" {
				p.SegCreds = "" // BYOC orchestrators take only Livepeer-Payment
			}
			s.last = p
			return p, nil
		}
		if !errors.Is(err, lperr.ErrRefreshSession) {
			return nil, err
		}
		if refreshes >= s.maxRefresh {
			return nil, fmt.Errorf("payment: the signer still asks for fresh orchestrator info after %d refreshes: %w", refreshes, err)
		}
		if rerr := s.refreshLocked(ctx, "signer asked for a refresh"); rerr != nil {
			return nil, rerr
		}
	}
}

// requestLocked builds the signer request for the current info. free is
// true when nothing needs paying (BYOC at price 0 or off-chain).
func (s *Session) requestLocked(inPixels int64) (req *signer.PaymentRequest, free bool, err error) {
	info := s.info
	if s.byocCap != "" {
		info, free, err = s.byocInfoLocked()
		if err != nil || free {
			return nil, free, err
		}
	}
	return &signer.PaymentRequest{
		Orchestrator: info,
		State:        s.state,
		ManifestID:   s.manifestID,
		Type:         s.typ,
		InPixels:     inPixels,
		App:          s.app,
		MaxPrice:     s.maxPrice,
		Capability:   s.caps,
	}, false, nil
}
