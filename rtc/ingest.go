package rtc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// IngestOptions configures NewIngest.
type IngestOptions struct {
	// OnAccessUnit receives each complete H.264 access unit (Annex-B) with
	// its presentation time in 90 kHz ticks from the first frame. Called
	// from one goroutine, in order.
	OnAccessUnit func(pts int64, au []byte)
	// Logger; nil discards.
	Logger *slog.Logger
}

// Ingest is a receiving peer connection for one camera. Close it when done;
// its methods are safe for concurrent use.
type Ingest struct {
	pc        *webrtc.PeerConnection
	log       *slog.Logger
	wg        sync.WaitGroup
	closeOnce sync.Once
	done      chan struct{}
	gone      chan struct{}
	goneOnce  sync.Once

	mu      sync.Mutex // guards closing against a late OnTrack adding to wg
	closing bool
}

// Gone is closed when the browser's side ended: its track ended, or the
// connection failed or was closed (by either side).
func (in *Ingest) Gone() <-chan struct{} { return in.gone }

func (in *Ingest) markGone() { in.goneOnce.Do(func() { close(in.gone) }) }

// NewIngest answers a camera's WHIP offer (sendonly H.264 video) and
// returns the answer SDP (send it back as the 201 body). It fails with
// ErrNoH264 when the offer has no H.264 video and ErrInvalidOffer for an
// offer pion cannot apply. Closing the Ingest (or cancelling ctx) stops the
// peer connection and waits for its reader goroutines, so OnAccessUnit is
// never called after Close returns.
func NewIngest(ctx context.Context, offer string, opts IngestOptions) (*Ingest, string, error) {
	if !hasH264(offer) {
		return nil, "", ErrNoH264
	}
	api, err := newAPI(true)
	if err != nil {
		return nil, "", err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	in := &Ingest{pc: pc, log: logger(opts.Logger), done: make(chan struct{}), gone: make(chan struct{})}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if t.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		in.mu.Lock()
		if in.closing {
			in.mu.Unlock()
			return
		}
		in.wg.Add(2)
		in.mu.Unlock()
		go func() { // drain RTCP so interceptors run
			defer in.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := r.Read(buf); err != nil {
					return
				}
			}
		}()
		go func() {
			defer in.wg.Done()
			defer in.markGone()
			in.readTrack(t, opts.OnAccessUnit)
		}()
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		in.log.Debug("rtc: ingest connection", "state", s.String())
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			in.markGone()
		}
	})
	ans, err := answer(ctx, pc, offer)
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		select {
		case <-ctx.Done():
		case <-in.done:
		}
		_ = pc.Close()
	}()
	return in, ans, nil
}

// readTrack reorders and assembles RTP into access units.
func (in *Ingest) readTrack(t *webrtc.TrackRemote, onAU func(int64, []byte)) {
	sb := samplebuilder.New(256, &codecs.H264Packet{}, 90000)
	var first uint32
	var started bool
	var unwrapped, last int64
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				in.log.Debug("rtc: read RTP", "err", err)
			}
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if !started {
				first, started = s.PacketTimestamp, true
			}
			// 32-bit RTP time → monotonic 90 kHz ticks from the first frame.
			d := int64(int32(s.PacketTimestamp - first - uint32(last)))
			unwrapped = last + d
			last = unwrapped
			if onAU != nil && len(s.Data) > 0 {
				onAU(unwrapped, s.Data)
			}
		}
	}
}

// Close stops the peer connection and waits for its goroutines; idempotent.
func (in *Ingest) Close() error {
	var err error
	in.closeOnce.Do(func() {
		in.mu.Lock()
		in.closing = true
		in.mu.Unlock()
		close(in.done)
		err = in.pc.Close()
	})
	in.wg.Wait()
	return err
}
