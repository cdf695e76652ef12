// Package orchinfo converts between discovery's public orchestrator types
// and their go-livepeer protobuf form (internal/lpnet), for the packages
// that put them on the wire (signer, payment, byoc, livepeertest). The
// protobuf encoding kept by discovery.Info is the single source: converting
// an Info decodes it, converting back encodes and decodes with
// discovery.DecodeInfo, so no field is copied by hand twice.
package orchinfo

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// Proto decodes info's protobuf encoding (an empty message for nil info).
func Proto(info *discovery.Info) (*lpnet.OrchestratorInfo, error) {
	var pb lpnet.OrchestratorInfo
	if info == nil {
		return &pb, nil
	}
	if err := proto.Unmarshal(info.Protobuf(), &pb); err != nil {
		return nil, fmt.Errorf("orchestrator info: %w", err)
	}
	return &pb, nil
}

// FromProto encodes pb and decodes it as the answer of the orchestrator
// queried at addr.
func FromProto(addr string, pb *lpnet.OrchestratorInfo) (*discovery.Info, error) {
	b, err := proto.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("orchestrator info: %w", err)
	}
	return discovery.DecodeInfo(addr, b)
}

// TicketParams returns tp in protobuf form (nil for nil).
func TicketParams(tp *discovery.TicketParams) *lpnet.TicketParams {
	if tp == nil {
		return nil
	}
	out := &lpnet.TicketParams{
		Recipient:         tp.Recipient.Bytes(),
		RecipientRandHash: tp.RecipientRandHash,
		Seed:              tp.Seed,
	}
	if tp.FaceValue != nil {
		out.FaceValue = tp.FaceValue.Bytes()
	}
	if tp.WinProb != nil {
		out.WinProb = tp.WinProb.Bytes()
	}
	if tp.ExpirationBlock != nil {
		out.ExpirationBlock = tp.ExpirationBlock.Bytes()
	}
	if tp.CreationRound != 0 || len(tp.CreationRoundBlockHash) > 0 {
		out.ExpirationParams = &lpnet.TicketExpirationParams{CreationRound: tp.CreationRound, CreationRoundBlockHash: tp.CreationRoundBlockHash}
	}
	return out
}

// TicketParamsFromProto returns tp in discovery's form (nil for nil).
func TicketParamsFromProto(tp *lpnet.TicketParams) (*discovery.TicketParams, error) {
	if tp == nil {
		return nil, nil
	}
	info, err := FromProto("", &lpnet.OrchestratorInfo{TicketParams: tp})
	if err != nil {
		return nil, err
	}
	return info.TicketParams, nil
}
