// Package liverun runs the playground's workflows on the Livepeer network
// with the SDK: one livepeer.Gateway per run, configured with the hosted
// signer and the run's credentials (the same Config the card's snippet
// shows), and Gateway.Live for the session.
package liverun

import (
	"context"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/web"
)

// Runner implements web.Runner with the SDK.
type Runner struct {
	// HTTPClient for signer and discovery calls (optional).
	HTTPClient *http.Client
	// Logger for the SDK (optional).
	Logger *slog.Logger
	// PaymentInterval is how often a session pays (0: the SDK default).
	PaymentInterval time.Duration
}

// Start builds a Gateway for spec and opens a live session. The Gateway is
// closed with the session.
func (r *Runner) Start(ctx context.Context, spec web.RunSpec) (web.LiveRun, error) {
	gw, err := livepeer.NewGateway(livepeer.Config{
		SignerURL: spec.SignerURL, SignerHeaders: spec.SignerHeaders,
		DiscoveryURL: spec.DiscoveryURL, DiscoveryHeaders: spec.DiscoveryHeaders,
		HTTPClient: r.HTTPClient, Logger: r.Logger,
	})
	if err != nil {
		return nil, err
	}
	capability := spec.Capability
	if spec.Model != "" && !strings.Contains(capability, "/") {
		capability += "/" + spec.Model
	}
	var opts []livepeer.CallOption
	if r.PaymentInterval > 0 {
		opts = append(opts, livepeer.WithPaymentInterval(r.PaymentInterval))
	}
	sess, err := gw.Live(ctx, capability, spec.Params, opts...)
	if err != nil {
		_ = gw.Close()
		return nil, err
	}
	return &session{s: sess, gw: gw}, nil
}

type session struct {
	s  *livepeer.LiveSession
	gw *livepeer.Gateway
}

func (s *session) NextSegment(ctx context.Context) (io.WriteCloser, error) {
	return s.s.NextSegment(ctx)
}
func (s *session) Control(ctx context.Context, msg any) error { return s.s.Control(ctx, msg) }
func (s *session) Done() <-chan struct{}                      { return s.s.Done() }
func (s *session) Err() error                                 { return s.s.Err() }

func (s *session) Subscribe(ctx context.Context) iter.Seq2[io.ReadCloser, error] {
	return func(yield func(io.ReadCloser, error) bool) {
		for seg, err := range s.s.Subscribe(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(seg, nil) {
				return
			}
		}
	}
}

func (s *session) Close() error {
	err := s.s.Close()
	_ = s.gw.Close()
	return err
}
