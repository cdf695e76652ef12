// Package rtctest is a pion peer standing in for a browser in tests of
// WHIP/WHEP servers (such as one built on package rtc): a WHIP sender
// (H.264, sendonly) and a WHEP receiver (recvonly), both on loopback only
// (UDP4, interface "lo"), with full ICE gathering.
package rtctest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

const fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

func newAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}},
		PayloadType: 102,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// offer creates pc's offer and waits (≤ 5 s) for ICE gathering.
func offer(pc *webrtc.PeerConnection) (string, error) {
	o, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return "", errors.New("rtctest: ICE gathering timed out")
	}
	return pc.LocalDescription().SDP, nil
}

// Exchange posts an offer and returns the answer (the WHIP/WHEP POST).
type Exchange func(ctx context.Context, offer string) (answer string, err error)

// Sender is a browser's camera: one sendonly H.264 track.
type Sender struct {
	PC    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticSample
	wg    sync.WaitGroup
	once  sync.Once
}

// NewSender negotiates a sendonly H.264 track through ex.
func NewSender(ctx context.Context, ex Exchange) (*Sender, error) {
	api, err := newAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	s := &Sender{PC: pc}
	s.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp}, "video", "camera")
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	tr, err := pc.AddTransceiverFromTrack(s.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	s.wg.Add(1)
	go func() { // drain RTCP so the interceptors run
		defer s.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Sender().Read(buf); err != nil {
				return
			}
		}
	}()
	if err := negotiate(ctx, pc, ex); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func negotiate(ctx context.Context, pc *webrtc.PeerConnection, ex Exchange) error {
	o, err := offer(pc)
	if err != nil {
		return err
	}
	ans, err := ex(ctx, o)
	if err != nil {
		return err
	}
	return pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans})
}

// WriteAccessUnit sends one Annex-B access unit lasting d (all its NAL
// units share one RTP timestamp).
func (s *Sender) WriteAccessUnit(au []byte, d time.Duration) error {
	return s.track.WriteSample(media.Sample{Data: au, Duration: d})
}

// Close closes the peer connection and waits for the RTCP reader.
func (s *Sender) Close() {
	s.once.Do(func() { _ = s.PC.Close() })
	s.wg.Wait()
}

// Receiver is a browser's player: one recvonly H.264 transceiver.
// Access units arrive on AUs (buffered; dropped when full); Packets counts
// RTP packets.
type Receiver struct {
	PC      *webrtc.PeerConnection
	AUs     chan []byte
	Packets atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once

	mu      sync.Mutex // guards closing against a late OnTrack adding to wg
	closing bool
}

// NewReceiver negotiates a recvonly H.264 transceiver through ex.
func NewReceiver(ctx context.Context, ex Exchange) (*Receiver, error) {
	api, err := newAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	r := &Receiver{PC: pc, AUs: make(chan []byte, 1024)}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		_ = pc.Close()
		return nil, err
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		r.mu.Lock()
		if r.closing {
			r.mu.Unlock()
			return
		}
		r.wg.Add(2)
		r.mu.Unlock()
		go func() {
			defer r.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := rcv.Read(buf); err != nil {
					return
				}
			}
		}()
		go func() {
			defer r.wg.Done()
			sb := samplebuilder.New(256, &codecs.H264Packet{}, 90000)
			for {
				pkt, _, err := t.ReadRTP()
				if err != nil {
					return
				}
				r.Packets.Add(1)
				sb.Push(pkt)
				for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
					select {
					case r.AUs <- bytes.Clone(smp.Data):
					default:
					}
				}
			}
		}()
	})
	if err := negotiate(ctx, pc, ex); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close closes the peer connection and waits for its readers.
func (r *Receiver) Close() {
	r.once.Do(func() {
		r.mu.Lock()
		r.closing = true
		r.mu.Unlock()
		_ = r.PC.Close()
	})
	r.wg.Wait()
}
