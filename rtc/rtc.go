// Package rtc bridges WebRTC peers (browsers, OBS, any WHIP/WHEP client) and
// live sessions, with pion: WHIP-style ingest of a camera (H.264 only,
// depacketized to Annex-B access units with their 90 kHz timestamps, never
// re-encoded) and WHEP-style egress of H.264 access units to a player.
// Signalling is one SDP offer/answer (the body of a WHIP or WHEP POST; the
// HTTP handler is the caller's) with full ICE gathering, no trickle ICE.
//
// Camera into a live session: cut the access units into MPEG-TS segments
// with media.NewSegmenter over LiveSession.NextSegment, fed from
// IngestOptions.OnAccessUnit with Segmenter.WriteH264. Session output to a
// player: demux each output segment (media.NewDemuxer) and pass its H.264
// access units to Egress.WriteAccessUnit. go-livepeer's gateway does the same
// with pion (media/whip_server.go, media/whep_server.go) and, like it, this
// package refuses offers without H.264 video (ErrNoH264).
//
// Networking: IPv4 UDP host candidates, loopback included, no mDNS and no
// STUN/TURN, so a server reachable at its own address (or a browser on the
// same machine) connects; a peer that stops answering ICE is dropped within
// about 8 s (Gone closes).
package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/intervalpli"
	"github.com/pion/webrtc/v4"
)

// Errors. Both come back from NewIngest and NewEgress (errors.Is).
var (
	// ErrNoH264: the offer has no H.264 video (the camera's codec is
	// unsupported; browsers offer H.264 when asked with setCodecPreferences).
	ErrNoH264 = errors.New("rtc: the offer has no H.264 video (camera codec unsupported)")
	// ErrInvalidOffer: the offer is not a usable SDP offer; the error wraps
	// pion's reason.
	ErrInvalidOffer = errors.New("rtc: invalid SDP offer")
)

// h264Fmtps are the H.264 variants accepted (Chromium and Safari offer
// these); packetization-mode=1 only, as browsers send.
var h264Fmtps = []string{
	"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
	"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
	"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032",
	"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640034",
}

// ICE liveness: a peer that stops answering is disconnected after
// disconnectedTimeout and failed (the run ends) after failedTimeout.
const (
	disconnectedTimeout = 4 * time.Second
	failedTimeout       = 8 * time.Second
	keepaliveInterval   = time.Second
)

// gatherTimeout bounds ICE gathering before the answer is sent.
const gatherTimeout = 5 * time.Second

// newAPI builds a pion API with only H.264 video, the default interceptors
// (NACK, RTCP reports, TWCC) and, for ingest, a PLI every 2 s so a keyframe
// arrives soon after any loss. Loopback candidates are included so a browser
// on the same machine (and tests) can connect; IPv4 UDP only.
func newAPI(pli bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for i, f := range h264Fmtps {
		err := m.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: f,
				RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "goog-remb"}}},
			PayloadType: webrtc.PayloadType(102 + 2*i),
		}, webrtc.RTPCodecTypeVideo)
		if err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	if pli {
		f, err := intervalpli.NewReceiverInterceptor(intervalpli.GeneratorInterval(2 * time.Second))
		if err != nil {
			return nil, err
		}
		ir.Add(f)
	}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// No mDNS: the browser reaches our host candidates and we learn its
	// address from its checks (peer-reflexive), so its .local names are not needed.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// A closed tab is noticed within seconds (DTLS close_notify at once; a
	// vanished one after failedTimeout without ICE answers).
	se.SetICETimeouts(disconnectedTimeout, failedTimeout, keepaliveInterval)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// answer applies offer to pc and returns the complete local answer.
func answer(ctx context.Context, pc *webrtc.PeerConnection, offer string) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidOffer, err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", err
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

func hasH264(sdp string) bool { return strings.Contains(strings.ToUpper(sdp), "H264/90000") }

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
