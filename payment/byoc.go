package payment

import (
	"context"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
)

// NextBYOC buys seconds of compute for the session's BYOC capability. The
// signer gets the orchestrator info priced for the capability (wei per
// second): as it is when built with BYOCInfo (the job token's price and
// ticket parameters, which go-livepeer orchestrators require), otherwise
// with price_info replaced by the advertised capabilities_prices entry
// {capability 37, constraint name}, or price_info itself when the info was
// requested for that capability. It is sent with type "" and inPixels = seconds, and
// manifest id = the capability name (BYOC balances are per sender and
// capability). go-livepeer's orchestrator requires a balance of at least
// 60 s × price before it runs a job, and its gateway pays up to 120 s ahead.
//
// A price of 0, or an orchestrator without ticket parameters (off-chain),
// needs no payment: NextBYOC returns an empty Payment without calling the
// signer. The Payment has no seg creds: BYOC orchestrators take only
// Livepeer-Payment. Errors are as for Next; seconds < 1 gives a
// *livepeer.ConfigError; an on-chain orchestrator that advertises no price
// for the capability gives an error wrapping ErrPaymentFailed.
func (s *Session) NextBYOC(ctx context.Context, seconds int) (*Payment, error) {
	if seconds < 1 {
		return nil, &lperr.ConfigError{Field: "seconds", Reason: "must be at least 1"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byocCap == "" {
		return nil, fmt.Errorf("payment: NextBYOC on a session without BYOCCapability: %w", lperr.ErrPaymentFailed)
	}
	return s.nextLocked(ctx, int64(seconds))
}

// BYOCPrice returns the session's BYOC price per second as advertised by
// the current info, and whether one is known.
func (s *Session) BYOCPrice() (*discovery.Price, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info.PriceFor(discovery.Capability{ID: discovery.CapBYOC, Model: s.byocCap})
}

// BYOCInfo returns a copy of info whose price and ticket params are a BYOC
// job token's (GET {orchestrator}/process/token: its price and
// ticket_params, see byoc.Token). go-livepeer binds ticket parameters to
// the price they were issued for (recipientRandHash covers it), so tickets
// for a BYOC capability are only accepted when made with the job token's
// parameters, not with GetOrchestrator's. A BYOC Session whose info (and
// Refresh results) come from BYOCInfo pays with exactly these terms. A nil
// price counts as 0 (free); nil ticket params mark the orchestrator
// off-chain. The result's Requested is byoc/<capability>.
func BYOCInfo(info *discovery.Info, capability string, price *discovery.Price, ticketParams *discovery.TicketParams) (*discovery.Info, error) {
	pb, err := orchinfo.Proto(info)
	if err != nil {
		return nil, fmt.Errorf("payment: %w", err)
	}
	pi := &lpnet.PriceInfo{PixelsPerUnit: 1, Capability: uint32(discovery.CapBYOC), Constraint: capability}
	if price != nil {
		pi.PricePerUnit = price.PricePerUnit
		if price.PixelsPerUnit > 0 {
			pi.PixelsPerUnit = price.PixelsPerUnit
		}
	}
	pb.PriceInfo = pi
	pb.CapabilitiesPrices = nil // the price is price_info's; the signer reads only that
	pb.TicketParams = orchinfo.TicketParams(ticketParams)
	addr := ""
	if info != nil {
		addr = info.Addr
	}
	out, err := orchinfo.FromProto(addr, pb)
	if err != nil {
		return nil, fmt.Errorf("payment: %w", err)
	}
	out.Requested = &discovery.Capability{ID: discovery.CapBYOC, Model: capability}
	return out, nil
}

// byocInfoLocked returns the info to send for a BYOC payment: the info as
// it is when its price is already the capability's (BYOCInfo), else the
// info with its price replaced by the advertised capability price.
func (s *Session) byocInfoLocked() (_ *discovery.Info, free bool, err error) {
	info := s.info
	if !info.Onchain() {
		return nil, true, nil
	}
	want := discovery.Capability{ID: discovery.CapBYOC, Model: s.byocCap}
	price, ok := info.PriceFor(want)
	if !ok {
		return nil, false, fmt.Errorf("payment: orchestrator %s advertises no price for BYOC capability %q: %w", info, s.byocCap, lperr.ErrPaymentFailed)
	}
	if price.PricePerUnit <= 0 {
		return nil, true, nil
	}
	if info.Requested != nil && *info.Requested == want && len(info.CapabilityPrices) == 0 {
		return info, false, nil // priced for the capability already (BYOCInfo)
	}
	priced, err := BYOCInfo(info, s.byocCap, price, info.TicketParams)
	if err != nil {
		return nil, false, err
	}
	return priced, false, nil
}
