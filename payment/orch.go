package payment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
	"github.com/livepeer/livepeer-go-gateway/internal/orchinfo"
)

// maxPaymentResult bounds the /payment answer (a PaymentResult protobuf).
const maxPaymentResult = 1 << 20

// SendLV2V makes the next payment (Next) and sends it to the orchestrator:
// POST {transcoder}/payment with an empty body and the Livepeer-Payment and
// Livepeer-Segment headers. The 200 answer is a net.PaymentResult whose
// info (fresh ticket parameters) is adopted for the next payment. A
// 400/402/403 answer refreshes the info and retries once; then it returns
// a *livepeer.APIError classified like every orchestrator answer
// (ErrInsufficientBalance when the orchestrator says "insufficient
// balance"), with Kind ErrPaymentFailed for any other refusal. 5xx and
// transport errors wrap livepeer.ErrOrchestratorUnavailable.
// ErrNoTicketsNeeded means nothing was due: nothing was sent.
func (s *Session) SendLV2V(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byocCap != "" {
		return fmt.Errorf("payment: SendLV2V on a BYOC session: %w", lperr.ErrPaymentFailed)
	}
	for attempt := 0; ; attempt++ {
		p, err := s.nextLocked(ctx, 0)
		if err != nil {
			return err
		}
		err = s.postPaymentLocked(ctx, p)
		if err == nil {
			return nil
		}
		var ae *lperr.APIError
		rejected := errors.As(err, &ae) && (ae.StatusCode == http.StatusBadRequest ||
			ae.StatusCode == http.StatusPaymentRequired || ae.StatusCode == http.StatusForbidden)
		if !rejected || attempt > 0 || s.refresh == nil || errors.Is(err, lperr.ErrInsufficientBalance) {
			return err
		}
		s.log.Warn("orchestrator rejected the payment; refreshing its info and retrying once",
			slog.String("orchestrator", s.info.String()), slog.Int("status", ae.StatusCode), slog.String("message", ae.Message))
		if rerr := s.refreshLocked(ctx, "orchestrator rejected a payment"); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
}

// postPaymentLocked sends p to the orchestrator and adopts the returned info.
func (s *Session) postPaymentLocked(ctx context.Context, p *Payment) error {
	base := strings.TrimRight(s.info.Transcoder, "/")
	if base == "" {
		return fmt.Errorf("payment: orchestrator %s has no transcoder URL: %w", s.info.Addr, lperr.ErrPaymentFailed)
	}
	url := base + "/payment"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, http.NoBody)
	if err != nil {
		return fmt.Errorf("payment: bad orchestrator URL %q: %w: %w", url, lperr.ErrPaymentFailed, err)
	}
	p.SetHeaders(req.Header)
	resp, err := s.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("payment: to %s: %w", url, ctx.Err())
		}
		return fmt.Errorf("payment: to %s: %w: %w", url, lperr.ErrOrchestratorUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ae := lperr.ReadOrchestratorError("payment", s.info.Transcoder, resp)
		if ae.Kind == nil {
			ae.Kind = lperr.ErrPaymentFailed // any other refusal of a payment
		}
		return ae
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPaymentResult+1))
	if err != nil || len(body) > maxPaymentResult {
		// The payment went through; only the refreshed info is lost.
		s.log.Warn("could not read the orchestrator's payment result", slog.String("orchestrator", s.info.String()))
		return nil
	}
	s.adoptResultLocked(body)
	return nil
}

// adoptResultLocked decodes a PaymentResult and adopts its info, keeping the
// auth token and transcoder URL when the orchestrator left them out.
func (s *Session) adoptResultLocked(body []byte) {
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	var pr lpnet.PaymentResult
	if err := proto.Unmarshal(body, &pr); err != nil || pr.GetInfo() == nil {
		s.log.Warn("orchestrator's payment result is not a PaymentResult; keeping the current info",
			slog.String("orchestrator", s.info.String()))
		return
	}
	pb := pr.GetInfo()
	old, err := orchinfo.Proto(s.info)
	if err != nil {
		s.log.Warn("cannot read the current orchestrator info; keeping it", slog.String("error", err.Error()))
		return
	}
	if pb.GetAuthToken() == nil {
		pb.AuthToken = old.GetAuthToken()
	}
	if pb.GetTranscoder() == "" {
		pb.Transcoder = old.GetTranscoder()
	}
	ni, err := orchinfo.FromProto(s.info.Addr, pb)
	if err != nil {
		s.log.Warn("orchestrator's payment result does not encode; keeping the current info", slog.String("error", err.Error()))
		return
	}
	ni.Requested = s.info.Requested
	s.adoptLocked(ni)
}
