package rtc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// EgressOptions configures NewEgress.
type EgressOptions struct {
	// Logger; nil discards.
	Logger *slog.Logger
}

// Egress is a sending peer connection playing H.264 to one player. Its
// methods are safe for concurrent use.
type Egress struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticSample
	log       *slog.Logger
	wg        sync.WaitGroup
	closeOnce sync.Once
	done      chan struct{}
	gone      chan struct{}
	goneOnce  sync.Once
}

// Gone is closed when the browser's side ended: the connection failed or
// was closed (by either side).
func (e *Egress) Gone() <-chan struct{} { return e.gone }

func (e *Egress) markGone() { e.goneOnce.Do(func() { close(e.gone) }) }

// NewEgress answers a player's WHEP offer (recvonly video) with an H.264
// track and returns the answer SDP (send it back as the 201 body). It fails
// with ErrNoH264 or ErrInvalidOffer. Closing the Egress (or cancelling ctx)
// stops the peer connection.
func NewEgress(ctx context.Context, offer string, opts EgressOptions) (*Egress, string, error) {
	if !hasH264(offer) {
		return nil, "", ErrNoH264
	}
	api, err := newAPI(false)
	if err != nil {
		return nil, "", err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	e := &Egress{pc: pc, log: logger(opts.Logger), done: make(chan struct{}), gone: make(chan struct{})}
	e.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtps[0]}, "video", "livepeer")
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	sender, err := pc.AddTrack(e.track)
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	e.wg.Add(1)
	go func() { // drain RTCP (NACK/PLI interceptors need it)
		defer e.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		e.log.Debug("rtc: egress connection", "state", s.String())
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			e.markGone()
		}
	})
	ans, err := answer(ctx, pc, offer)
	if err != nil {
		_ = pc.Close()
		e.wg.Wait()
		return nil, "", err
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		select {
		case <-ctx.Done():
		case <-e.done:
		}
		_ = pc.Close()
	}()
	return e, ans, nil
}

// WriteAccessUnit sends one Annex-B H.264 access unit lasting d (its RTP
// timestamp advances by d). After Close it returns an error wrapping
// livepeer.ErrClosed.
func (e *Egress) WriteAccessUnit(au []byte, d time.Duration) error {
	select {
	case <-e.done:
		return fmt.Errorf("rtc: egress: %w", lperr.ErrClosed)
	default:
	}
	return e.track.WriteSample(media.Sample{Data: au, Duration: d})
}

// Close stops the peer connection and waits for its goroutines; idempotent.
func (e *Egress) Close() error {
	var err error
	e.closeOnce.Do(func() {
		close(e.done)
		err = e.pc.Close()
	})
	e.wg.Wait()
	return err
}
