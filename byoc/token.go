package byoc

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
)

// maxTokenBody bounds a /process/token answer.
const maxTokenBody = 1 << 20

// terms is an orchestrator's answer to GET /process/token for one
// capability and sender (go-livepeer byoc/types.go JobToken).
type terms struct {
	price        *big.Rat                // wei per second of compute (0: free)
	rawPrice     *discovery.Price        // as sent, nil without a price
	ticketParams *discovery.TicketParams // issued for price; nil off-chain
	balance      *big.Rat                // the sender's balance for the capability, wei
	capacity     int64                   // workers free for the capability
}

// fetchTerms asks info's orchestrator for its BYOC terms (GET
// /process/token with the sender's Livepeer-Eth-Address). Errors are
// classified like every orchestrator answer (lperr.ClassifyOrchestrator),
// and wrap livepeer.ErrOrchestratorUnavailable when it cannot be reached.
func fetchTerms(ctx context.Context, hc Doer, info *discovery.Info, capability string, cr *credentials) (*terms, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(info.Transcoder, "/")+"/process/token", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(HeaderEthAddress, cr.eth)
	req.Header.Set(HeaderCapability, capability)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("byoc: job token from %s: %w: %w", info.Addr, lperr.ErrOrchestratorUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, lperr.ReadOrchestratorError("process/token", info.Addr, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return nil, fmt.Errorf("byoc: job token from %s: %w: %w", info.Addr, lperr.ErrOrchestratorUnavailable, err)
	}
	tok, err := byocwire.DecodeJobToken(body)
	if err != nil {
		return nil, fmt.Errorf("byoc: job token from %s: %w: %w", info.Addr, lperr.ErrOrchestratorUnavailable, err)
	}
	t := &terms{price: tok.PricePerSecond(), balance: new(big.Rat).SetInt64(tok.Balance), capacity: tok.AvailableCapacity}
	if tok.Price != nil {
		t.rawPrice = &discovery.Price{PricePerUnit: tok.Price.GetPricePerUnit(), PixelsPerUnit: tok.Price.GetPixelsPerUnit()}
	}
	if t.ticketParams, err = orchinfo.TicketParamsFromProto(tok.TicketParams); err != nil {
		return nil, fmt.Errorf("byoc: job token from %s: ticket params: %w", info.Addr, err)
	}
	return t, nil
}
